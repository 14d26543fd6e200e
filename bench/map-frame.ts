/**
 * The page side of bench/map.ts: mounts <ps-paper-map> with seeded synthetic clusters and records
 * animation-frame timestamps while the runner drives the pointer (real input through the browser).
 */
import '../src/ui/paper-map';
import type { MapPaper, PaperMap } from '../src/ui/paper-map';
import { gaussian, mulberry32 } from '../test/helpers/random';

export interface MountOptions {
  n: number;
  imported: number;
  highlighted: number;
  cacheLayer: boolean;
  seed?: number;
  clusters?: number;
}

export interface FrameRecord {
  /** rAF timestamp deltas, ms: what the screen got. */
  intervals: number[];
  /** The map's own drawing time, for each frame it drew. */
  drawMs: number[];
  /** Layer repaints (the expensive frames) during the recording. */
  layerPaints: number;
}

declare global {
  interface Window {
    __map: {
      mount(options: MountOptions): Promise<{ count: number; highlighted: number; ids: string[] }>;
      record(): void;
      stop(): FrameRecord;
      /**
       * CPU cost of one frame, input to pixels, with nothing else in between: move the view, draw, then
       * read a pixel back so the canvas must rasterise now (it otherwise defers that past our timer).
       */
      frameWork(kind: 'pan' | 'zoom', frames: number): number[];
      /** Many synthetic hovers in a row: cost per pointer move (µs), whole handler and hit test alone. */
      hoverCost(moves: number): { moveUs: number; hitUs: number };
    };
  }
}

const map = document.querySelector<PaperMap>('ps-paper-map')!;
const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

/** UMAP-like output: Gaussian blobs of varied size and spread around random centres. */
function clusteredPoints(n: number, clusters: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: clusters }, () => ({ x: rand() * 20 - 10, y: rand() * 14 - 7, spread: 0.15 + rand() * 0.5 }));
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(rand() * clusters)];
    out[2 * i] = c.x + gaussian(rand) * c.spread;
    out[2 * i + 1] = c.y + gaussian(rand) * c.spread;
  }
  return out;
}

let recording: { last: number; frames: number; paints: number; intervals: number[]; drawMs: number[]; on: boolean } | undefined;

window.__map = {
  async mount({ n, imported, highlighted, cacheLayer, seed = 7, clusters = 100 }) {
    const rand = mulberry32(seed + 1);
    const papers: MapPaper[] = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, title: `Paper ${i}`, imported: false }));
    // Imported papers scattered through the corpus (a random subset), as a real import would be.
    const order = papers.map((_, i) => i).sort(() => rand() - 0.5);
    for (const i of order.slice(0, imported)) papers[i].imported = true;
    // One title with markup: the tooltip must show it as text.
    papers[0].title = 'Paper 0 <img src=x onerror="window.__xss=1"> & <b>bold</b>';
    map.cacheLayer = cacheLayer;
    map.points = clusteredPoints(n, clusters, seed);
    map.papers = papers;
    map.highlighted = order.slice(imported, imported + highlighted).map((i) => `p${i}`);
    map.selected = `p${order[imported]}`;
    await map.updateComplete;
    const before = map.frameCount;
    while (map.frameCount === before) await nextFrame();
    return { count: Number(map.dataset.count), highlighted: Number(map.dataset.highlighted), ids: map.highlighted };
  },
  record() {
    recording = { last: -1, frames: map.frameCount, paints: map.layerPaints, intervals: [], drawMs: [], on: true };
    const rec = recording;
    const tick = (t: number) => {
      if (!rec.on) return;
      if (rec.last >= 0) rec.intervals.push(t - rec.last);
      rec.last = t;
      if (map.frameCount !== rec.frames) {
        rec.frames = map.frameCount;
        rec.drawMs.push(map.lastFrameMs);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  },
  stop() {
    const rec = recording!;
    rec.on = false;
    // A map frame drawn after the recorder's last tick still counts.
    if (map.frameCount !== rec.frames) rec.drawMs.push(map.lastFrameMs);
    return { intervals: rec.intervals, drawMs: rec.drawMs, layerPaints: map.layerPaints - rec.paints };
  },
  frameWork(kind, frames) {
    // Private members, reached on purpose: this times the component's own frame, without the browser's.
    const inner = map as unknown as {
      pan(dx: number, dy: number): void;
      zoomAt(x: number, y: number, factor: number): void;
      draw(): void;
      movedAt: number;
      ctx: CanvasRenderingContext2D;
      frame: number;
    };
    const ms: number[] = [];
    for (let f = 0; f < frames; f++) {
      if (kind === 'pan') inner.pan(9 * Math.cos(f / 12), 6 * Math.cos(f / 6));
      else {
        // Bursts of eight steps in, eight out; every burst's first frame counts as at rest (the layer repaint).
        const burst = Math.floor(f / 8);
        if (f % 8 === 0) inner.movedAt = -1e9;
        inner.zoomAt(500 + (burst % 3) * 90 - 90, 320, burst % 2 ? 1 / 1.2 : 1.2);
        if (f % 8 === 0) inner.movedAt = -1e9;
      }
      cancelAnimationFrame(inner.frame);
      const t0 = performance.now();
      inner.draw();
      inner.ctx.getImageData(0, 0, 1, 1);
      ms.push(performance.now() - t0);
    }
    return ms;
  },
  hoverCost(moves) {
    const canvas = map.shadowRoot!.querySelector('canvas')!;
    const rect = canvas.getBoundingClientRect();
    const rand = mulberry32(99);
    const t0 = performance.now();
    for (let i = 0; i < moves; i++) {
      const clientX = rect.left + rand() * rect.width;
      const clientY = rect.top + rand() * rect.height;
      canvas.dispatchEvent(new PointerEvent('pointermove', { clientX, clientY, pointerId: 1, bubbles: true }));
    }
    const moveUs = ((performance.now() - t0) / moves) * 1000;
    // The grid lookup on its own (a private method: this is a benchmark, not an API).
    const hit = (map as unknown as { hitTest(x: number, y: number): number }).hitTest.bind(map);
    const t1 = performance.now();
    for (let i = 0; i < moves; i++) hit(rand() * rect.width, rand() * rect.height);
    return { moveUs, hitUs: ((performance.now() - t1) / moves) * 1000 };
  },
};
