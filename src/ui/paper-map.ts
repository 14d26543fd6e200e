/**
 * A 2-D map of papers (UMAP output) on a canvas: drag to pan, wheel (once focused, or with Ctrl) or
 * pinch to zoom around the pointer, double-click or Fit to see everything, hover for a title, click to open. Built to stay smooth at 10k
 * points without a GPU: while the view rests, the corpus and imported points are painted into an
 * offscreen layer larger than the view; a pan then only blits that layer at an offset. Mid-zoom, or once
 * a pan outruns the layer, the points are drawn directly (a few ms) and the layer waits for the view to
 * rest, so no frame of a gesture pays for a repaint. Only the few prominent marks (results, selection,
 * hover) are drawn every frame. Hover and click use a uniform grid, so finding the point under the
 * pointer looks at a handful of points, not all of them. Figures: docs/BENCHMARKS.md, bench/map.ts.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { shared } from './theme';

export interface MapPaper {
  id: string;
  title: string;
  imported: boolean;
}

export type PaperMapEvents = {
  'open-paper': CustomEvent<{ paperId: string }>;
};

/** What the canvas shows: `scale` CSS px per map unit, with map point (cx, cy) at the canvas centre. */
export interface MapView {
  scale: number;
  cx: number;
  cy: number;
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Finite points only: a NaN from a failed projection must not stretch the fit to infinity. */
export function boundsOf(points: Float32Array, n = points.length >> 1): Bounds {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (minX > maxX) return { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  return { minX, minY, maxX, maxY };
}

/** The view that shows all of `bounds` in a width × height canvas, leaving `pad` of it as margin. */
export function fitView(bounds: Bounds, width: number, height: number, pad = 0.08): MapView {
  const spanX = bounds.maxX - bounds.minX;
  const spanY = bounds.maxY - bounds.minY;
  const usableW = Math.max(1, width * (1 - 2 * pad));
  const usableH = Math.max(1, height * (1 - 2 * pad));
  // One point (or all on one spot): any scale works; pick one that keeps zooming meaningful.
  const scale = spanX > 0 || spanY > 0 ? Math.min(spanX > 0 ? usableW / spanX : Infinity, spanY > 0 ? usableH / spanY : Infinity) : 1;
  return { scale, cx: (bounds.minX + bounds.maxX) / 2, cy: (bounds.minY + bounds.maxY) / 2 };
}

/**
 * Points bucketed into square cells (about two points per cell), stored as one sorted index array and
 * per-cell offsets: nearest-point queries read only the cells a small radius overlaps.
 */
export class PointGrid {
  readonly minX: number;
  readonly minY: number;
  readonly cell: number;
  readonly cols: number;
  readonly rows: number;
  private readonly start: Uint32Array;
  private readonly items: Uint32Array;

  constructor(
    private readonly points: Float32Array,
    readonly n = points.length >> 1,
  ) {
    const b = boundsOf(points, n);
    const spanX = Math.max(b.maxX - b.minX, 1e-9);
    const spanY = Math.max(b.maxY - b.minY, 1e-9);
    // Cell area ≈ 2 points' share of the bounding box; at most 1024 cells a side keeps the offsets small.
    const ideal = Math.sqrt((spanX * spanY * 2) / Math.max(1, n)) || Math.max(spanX, spanY);
    const cell = Math.max(ideal, spanX / 1024, spanY / 1024);
    this.minX = b.minX;
    this.minY = b.minY;
    this.cell = cell;
    this.cols = Math.floor(spanX / cell) + 1;
    this.rows = Math.floor(spanY / cell) + 1;
    const cells = this.cols * this.rows;
    const cellOf = new Int32Array(n);
    const counts = new Uint32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      const x = points[2 * i];
      const y = points[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        cellOf[i] = -1;
        continue;
      }
      const c = this.cellIndex(x, y);
      cellOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.start = counts;
    this.items = new Uint32Array(counts[cells]);
    const fill = counts.slice(0, cells);
    for (let i = 0; i < n; i++) if (cellOf[i] >= 0) this.items[fill[cellOf[i]]++] = i;
  }

  /** The index of the point nearest (x, y) within `radius` (map units), or -1. */
  nearest(x: number, y: number, radius: number): number {
    const c0 = this.clampCol(Math.floor((x - radius - this.minX) / this.cell));
    const c1 = this.clampCol(Math.floor((x + radius - this.minX) / this.cell));
    const r0 = this.clampRow(Math.floor((y - radius - this.minY) / this.cell));
    const r1 = this.clampRow(Math.floor((y + radius - this.minY) / this.cell));
    let best = -1;
    let bestD = radius * radius;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.start[cell]; k < this.start[cell + 1]; k++) {
          const i = this.items[k];
          const dx = this.points[2 * i] - x;
          const dy = this.points[2 * i + 1] - y;
          const d = dx * dx + dy * dy;
          // `<=`: of coincident points the later one wins, the one drawn on top.
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  private cellIndex(x: number, y: number): number {
    return this.clampRow(Math.floor((y - this.minY) / this.cell)) * this.cols + this.clampCol(Math.floor((x - this.minX) / this.cell));
  }

  private clampCol(c: number): number {
    return c < 0 ? 0 : c >= this.cols ? this.cols - 1 : c;
  }

  private clampRow(r: number): number {
    return r < 0 ? 0 : r >= this.rows ? this.rows - 1 : r;
  }
}

/** Hover / click reach, CSS px. */
const HIT_RADIUS = 7;
/** How far out from fit one may zoom, and in. */
const MIN_ZOOM = 0.5;
const MAX_ZOOM = 400;
/** The view unchanged this long: it is at rest, and the layer may be repainted. */
const SETTLE_MS = 140;
/** The layer extends this share of the view's longer side beyond each edge: room to pan before a repaint. */
const LAYER_MARGIN = 0.4;
/** Caps the layer's memory (device pixels, 4 bytes each) on huge high-DPI screens. */
const LAYER_MAX_PIXELS = 12_000_000;
/** Corpus points are half see-through: dense clusters read darker than sparse ones. */
const CORPUS_ALPHA = 0.55;
const KEY_PAN = 60;
const KEY_ZOOM = 1.4;

interface Colours {
  corpus: string;
  /** The corpus colour at the corpus alpha, as one RGBA pixel (ImageData's byte order, little-endian). */
  corpusPixel: number;
  mine: string;
  accent: string;
  surface: string;
  text: string;
}

/** The offscreen paint of the static points, and the view and size it was painted for. */
interface Layer {
  canvas: HTMLCanvasElement;
  view: MapView;
  /** CSS px the layer extends beyond the view on each side. */
  margin: number;
  width: number;
  height: number;
  dpr: number;
}

@customElement('ps-paper-map')
export class PaperMap extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
        position: relative;
        height: 420px;
        border: 1px solid var(--ps-border);
        border-radius: 14px;
        background: var(--ps-surface);
        overflow: hidden;
        /* Imported papers' hue: no theme variable for it yet, so a default per scheme, overridable. */
        --_mine: var(--ps-map-mine, #d46a1f);
      }
      @media (prefers-color-scheme: dark) {
        :host {
          --_mine: var(--ps-map-mine, #f0a050);
        }
      }
      canvas {
        position: absolute;
        inset: 0;
        width: 100%;
        height: 100%;
        display: block;
        cursor: grab;
        /* Pointer events do the panning and pinching; the browser must not scroll or zoom the page. */
        touch-action: none;
        border-radius: inherit;
      }
      canvas:focus-visible {
        outline-offset: -3px;
      }
      canvas.dragging {
        cursor: grabbing;
      }
      canvas.over-point {
        cursor: pointer;
      }
      .tooltip {
        position: absolute;
        left: 0;
        top: 0;
        max-width: min(22rem, 70%);
        padding: 0.35rem 0.6rem;
        border: 1px solid var(--ps-border-strong);
        border-radius: 8px;
        background: var(--ps-surface);
        box-shadow: 0 4px 14px rgba(0, 0, 0, 0.12);
        font-size: 0.85rem;
        line-height: 1.35;
        pointer-events: none;
        z-index: 2;
        overflow-wrap: anywhere;
      }
      .tooltip .tag {
        display: block;
        color: var(--_mine);
        font-size: 0.75rem;
        font-weight: 600;
      }
      .tooltip[hidden] {
        display: none;
      }
      .controls {
        position: absolute;
        top: 0.6rem;
        right: 0.6rem;
        display: flex;
        gap: 0.3rem;
        z-index: 1;
      }
      .controls .button {
        min-width: 2.1rem;
        justify-content: center;
      }
      .legend {
        position: absolute;
        left: 0.6rem;
        bottom: 0.5rem;
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 0.9rem;
        margin: 0;
        padding: 0.25rem 0.6rem;
        list-style: none;
        border-radius: 8px;
        background: color-mix(in srgb, var(--ps-surface) 85%, transparent);
        color: var(--ps-muted);
        font-size: 0.78rem;
        font-variant-numeric: tabular-nums;
        pointer-events: none;
        z-index: 1;
      }
      .legend li {
        display: inline-flex;
        align-items: center;
        gap: 0.35rem;
      }
      .swatch {
        display: inline-block;
        width: 0.55rem;
        height: 0.55rem;
      }
      .swatch.corpus {
        background: var(--ps-muted);
        opacity: 0.7;
      }
      .swatch.mine {
        border-radius: 50%;
        background: var(--_mine);
        box-shadow: 0 0 0 1.5px var(--ps-surface);
      }
      .swatch.results {
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 50%;
        background: var(--ps-accent);
        box-shadow: 0 0 0 1.5px var(--ps-surface);
      }
      .empty {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        color: var(--ps-muted);
        font-size: 0.9rem;
        pointer-events: none;
      }
    `,
  ];

  /** N×2 row-major x, y (any units). Fitted to the view when first set and when N changes. */
  @property({ attribute: false }) points?: Float32Array;
  /** Row-aligned with `points`. */
  @property({ attribute: false }) papers: MapPaper[] = [];
  /** Ids of the current query's results: drawn on top, larger, in the accent colour. */
  @property({ attribute: false }) highlighted: string[] = [];
  /** Id of a paper to ring (e.g. the source of "similar"). */
  @property({ attribute: false }) selected?: string;

  /** Milliseconds the last frame's drawing took (JS side; rasterising may happen after). */
  lastFrameMs = 0;
  /** Frames drawn so far: a benchmark tells from it whether a frame had any drawing. */
  frameCount = 0;
  /** Layer repaints so far (the expensive frames). */
  layerPaints = 0;

  @state() private hover = -1;
  /** "Ctrl + scroll to zoom", shown briefly when a plain wheel scrolled the page instead. */
  @state() private wheelHint = false;
  private wheelHintTimer?: ReturnType<typeof setTimeout>;
  @query('canvas') private canvas!: HTMLCanvasElement;
  @query('[data-map-tooltip]') private tooltip!: HTMLElement;

  private view?: MapView;
  private fitScale = 1;
  private bounds?: Bounds;
  private grid?: PointGrid;
  private count = 0;
  private idIndex = new Map<string, number>();
  /** Row numbers by kind, so the paint loops never look at paper objects. */
  private corpusRows = new Uint32Array(0);
  private mineRows = new Uint32Array(0);
  private highlightRows = new Uint32Array(0);
  private selectedRow = -1;
  private needsFit = false;
  /** The user has not moved the view since the last fit: a resize refits. */
  private atFit = true;

  private width = 0;
  private height = 0;
  private dpr = 1;
  private ctx?: CanvasRenderingContext2D;
  private colours?: Colours;
  private mineSprite?: HTMLCanvasElement;
  private useLayer = true;
  private surfaces = new Map<string, { canvas: HTMLCanvasElement; pixels: ImageData }>();
  private mineSpritePixels?: { sprite: HTMLCanvasElement; w: number; offsets: Int32Array; pixels: Uint32Array; opaque: number };
  private layer?: Layer;
  private layerStale = true;
  private frame = 0;
  private settleTimer?: ReturnType<typeof setTimeout>;
  /** When the view last moved (pan or zoom). */
  private movedAt = 0;
  private resizeObserver?: ResizeObserver;
  private darkQuery?: MediaQueryList;

  private pointers = new Map<number, { x: number; y: number }>();
  private downAt?: { x: number; y: number };
  private dragged = false;
  private tipAt = { x: 0, y: 0 };
  /** Keyboard mode: the point nearest the view centre is the one Enter opens. */
  private keyboardTarget = false;
  @state() private announcement = '';

  /**
   * Paint the static points into an offscreen layer and blit it (default), or paint every point every
   * frame. Only the benchmark turns it off, to show what the layer buys.
   */
  get cacheLayer(): boolean {
    return this.useLayer;
  }
  set cacheLayer(on: boolean) {
    this.useLayer = on;
    this.layer = undefined;
    this.surfaces.clear();
    this.layerStale = true;
    this.requestDraw();
  }

  /** Client coordinates of a paper's point (for tests that hover or click it), or undefined. */
  pointAt(id: string): { x: number; y: number } | undefined {
    const row = this.idIndex.get(id);
    if (row === undefined || !this.points || !this.view || !this.canvas || row >= this.count) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const [sx, sy] = this.toScreen(this.points[2 * row], this.points[2 * row + 1]);
    return { x: rect.left + sx, y: rect.top + sy };
  }

  /** Shows every point. */
  fit(): void {
    if (!this.bounds || this.width === 0 || this.height === 0) {
      this.needsFit = true;
      return;
    }
    this.view = fitView(this.bounds, this.width, this.height);
    this.fitScale = this.view.scale;
    this.needsFit = false;
    this.atFit = true;
    this.layerStale = true;
    this.requestDraw();
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
    this.darkQuery.addEventListener('change', this.onThemeChange);
    if (this.hasUpdated) {
      this.observeSize();
      this.requestDraw();
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.darkQuery?.removeEventListener('change', this.onThemeChange);
    this.resizeObserver?.disconnect();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    clearTimeout(this.settleTimer);
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('points') || changed.has('papers')) this.indexData(changed.has('points') ? (changed.get('points') as Float32Array | undefined) : this.points);
    if (changed.has('points') || changed.has('papers') || changed.has('highlighted')) this.indexHighlights();
    if (changed.has('points') || changed.has('papers') || changed.has('selected')) {
      this.selectedRow = this.selected === undefined ? -1 : (this.idIndex.get(this.selected) ?? -1);
      if (this.selectedRow >= this.count) this.selectedRow = -1;
    }
  }

  protected firstUpdated(): void {
    this.observeSize();
  }

  protected updated(changed: PropertyValues): void {
    this.dataset.count = String(this.count);
    this.dataset.highlighted = String(this.highlightRows.length);
    if (changed.has('hover') || changed.has('announcement')) this.placeTooltip();
    // Any update redraws (cheap: a blit), so requestUpdate() also picks up a theme switched by a class.
    this.requestDraw();
  }

  protected render() {
    const mine = this.mineRows.length;
    const paper = this.hover >= 0 ? this.papers[this.hover] : undefined;
    return html`
      <canvas
        tabindex="0"
        role="application"
        aria-roledescription="interactive map"
        aria-label=${this.summary()}
        @pointerdown=${this.onPointerDown}
        @pointermove=${this.onPointerMove}
        @pointerup=${this.onPointerUp}
        @pointercancel=${this.onPointerUp}
        @pointerleave=${this.onPointerLeave}
        @dblclick=${this.fit}
        @wheel=${{ handleEvent: (e: WheelEvent) => this.onWheel(e), passive: false }}
        @keydown=${this.onKeydown}
        @blur=${this.onBlur}
      ></canvas>
      ${this.count === 0 ? html`<p class="empty">No papers on the map yet.</p>` : nothing}
      ${this.wheelHint ? html`<p class="empty" role="status">Click the map, or hold Ctrl (⌘) while scrolling, to zoom</p>` : nothing}
      <div class="controls">
        <button class="button" aria-label="Zoom in" title="Zoom in (+)" @click=${() => this.zoomBy(KEY_ZOOM)}>+</button>
        <button class="button" aria-label="Zoom out" title="Zoom out (−)" @click=${() => this.zoomBy(1 / KEY_ZOOM)}>−</button>
        <button class="button" data-action="fit" title="Show all papers (0 or double-click)" @click=${this.fit}>Fit</button>
      </div>
      <ul class="legend" aria-hidden="true">
        <li><span class="swatch corpus"></span>Corpus ${(this.count - mine).toLocaleString('en')}</li>
        ${mine > 0 ? html`<li><span class="swatch mine"></span>Your papers ${mine.toLocaleString('en')}</li>` : nothing}
        ${this.highlightRows.length > 0 ? html`<li><span class="swatch results"></span>Results ${this.highlightRows.length}</li>` : nothing}
      </ul>
      <!-- Text bindings only: titles come from users' files and may contain markup. -->
      <div class="tooltip" data-map-tooltip ?hidden=${!paper}>
        ${paper?.imported ? html`<span class="tag">Your paper</span>` : nothing}<span dir="auto">${paper?.title ?? ''}</span>
      </div>
      <p class="visually-hidden" aria-live="polite">${this.announcement}</p>
    `;
  }

  private summary(): string {
    const mine = this.mineRows.length;
    const parts = [`Map of ${this.count.toLocaleString('en')} papers`];
    if (mine > 0) parts.push(`${mine.toLocaleString('en')} of them yours`);
    if (this.highlightRows.length > 0) parts.push(`${this.highlightRows.length} in the current results`);
    return `${parts.join(', ')}. Drag or arrow keys to pan, wheel or + and − to zoom, 0 to fit, Enter opens the paper at the centre.`;
  }

  // ---- data ----

  private indexData(previous: Float32Array | undefined): void {
    const points = this.points;
    const n = points ? points.length >> 1 : 0;
    const sizeChanged = n !== this.count || (previous === undefined) !== (points === undefined);
    this.count = n;
    this.idIndex = new Map();
    this.papers.forEach((p, i) => this.idIndex.set(p.id, i));
    let mine = 0;
    for (let i = 0; i < n; i++) if (this.papers[i]?.imported) mine++;
    this.corpusRows = new Uint32Array(n - mine);
    this.mineRows = new Uint32Array(mine);
    for (let i = 0, c = 0, m = 0; i < n; i++) {
      if (this.papers[i]?.imported) this.mineRows[m++] = i;
      else this.corpusRows[c++] = i;
    }
    if (points && points !== previous) {
      this.bounds = boundsOf(points, n);
      this.grid = new PointGrid(points, n);
      if (sizeChanged || !this.view) this.fit();
    }
    if (!points) {
      this.bounds = undefined;
      this.grid = undefined;
      this.view = undefined;
    }
    if (this.hover >= n) this.hover = -1;
    this.layerStale = true;
  }

  private indexHighlights(): void {
    const rows: number[] = [];
    for (const id of this.highlighted) {
      const row = this.idIndex.get(id);
      if (row !== undefined && row < this.count) rows.push(row);
    }
    this.highlightRows = Uint32Array.from(rows);
  }

  // ---- view ----

  private toScreen(x: number, y: number): [number, number] {
    const v = this.view!;
    return [(x - v.cx) * v.scale + this.width / 2, (y - v.cy) * v.scale + this.height / 2];
  }

  private pan(dx: number, dy: number): void {
    if (!this.view) return;
    this.view = { ...this.view, cx: this.view.cx - dx / this.view.scale, cy: this.view.cy - dy / this.view.scale };
    this.moved();
  }

  /** Draws the next frame, and one more once the view has rested SETTLE_MS (the layer repaint, if due). */
  private moved(): void {
    this.atFit = false;
    this.movedAt = performance.now();
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.requestDraw(), SETTLE_MS);
    this.requestDraw();
  }

  /** Zooms by `factor` keeping the map point under (sx, sy) (CSS px in the canvas) where it is. */
  private zoomAt(sx: number, sy: number, factor: number): void {
    const v = this.view;
    if (!v) return;
    const scale = Math.min(this.fitScale * MAX_ZOOM, Math.max(this.fitScale * MIN_ZOOM, v.scale * factor));
    const wx = (sx - this.width / 2) / v.scale + v.cx;
    const wy = (sy - this.height / 2) / v.scale + v.cy;
    this.view = { scale, cx: wx - (sx - this.width / 2) / scale, cy: wy - (sy - this.height / 2) / scale };
    this.moved();
  }

  private zoomBy(factor: number): void {
    this.zoomAt(this.width / 2, this.height / 2, factor);
  }

  // ---- input ----

  private local(e: { clientX: number; clientY: number }): [number, number] {
    const rect = this.canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic events (tests) have no active pointer to capture; the gesture still works without.
    }
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.pointers.size === 1) {
      this.downAt = { x: e.clientX, y: e.clientY };
      this.dragged = false;
    } else {
      this.dragged = true; // a pinch never ends in a click
    }
  }

  private onPointerMove(e: PointerEvent): void {
    this.keyboardTarget = false;
    const p = this.pointers.get(e.pointerId);
    if (!p) {
      this.hoverAt(...this.local(e));
      return;
    }
    if (this.pointers.size === 1) {
      if (!this.dragged && Math.hypot(e.clientX - this.downAt!.x, e.clientY - this.downAt!.y) > 4) {
        this.dragged = true;
        this.canvas.classList.add('dragging');
        this.canvas.classList.remove('over-point');
        this.setHover(-1);
      }
      if (this.dragged) this.pan(e.clientX - p.x, e.clientY - p.y);
    } else if (this.pointers.size === 2) {
      const other = [...this.pointers.entries()].find(([id]) => id !== e.pointerId)![1];
      const before = Math.hypot(p.x - other.x, p.y - other.y);
      const after = Math.hypot(e.clientX - other.x, e.clientY - other.y);
      const [mx, my] = this.local({ clientX: (e.clientX + other.x) / 2, clientY: (e.clientY + other.y) / 2 });
      // The midpoint moves by half this finger's move: pan with it, then zoom around it.
      this.pan((e.clientX - p.x) / 2, (e.clientY - p.y) / 2);
      if (before > 0 && after > 0) this.zoomAt(mx, my, after / before);
    }
    p.x = e.clientX;
    p.y = e.clientY;
  }

  private onPointerUp(e: PointerEvent): void {
    if (!this.pointers.has(e.pointerId)) return;
    const single = this.pointers.size === 1;
    this.pointers.delete(e.pointerId);
    if (this.pointers.size === 0) this.canvas.classList.remove('dragging');
    if (!single || this.dragged || e.type !== 'pointerup') return;
    const [sx, sy] = this.local(e);
    const row = this.hitTest(sx, sy);
    if (row >= 0) this.open(row);
  }

  private onPointerLeave(): void {
    if (this.pointers.size === 0) this.setHover(-1);
  }

  private onWheel(e: WheelEvent): void {
    if (!this.view) return;
    // The map sits in a scrolling page: a plain wheel scrolls the page unless the map has focus (a click
    // or Tab put it there); Ctrl/⌘ + wheel, and a trackpad pinch (which arrives as one), always zoom.
    if (!e.ctrlKey && !e.metaKey && this.shadowRoot?.activeElement !== this.canvas) {
      this.wheelHint = true;
      clearTimeout(this.wheelHintTimer);
      this.wheelHintTimer = setTimeout(() => (this.wheelHint = false), 1500);
      return;
    }
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.height : 1;
    // Chromium reports a trackpad pinch as a wheel with ctrlKey and small deltas.
    const rate = e.ctrlKey ? 0.01 : 0.0015;
    const [sx, sy] = this.local(e);
    this.zoomAt(sx, sy, Math.exp(-e.deltaY * unit * rate));
  }

  private onKeydown(e: KeyboardEvent): void {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    // A key pressed before the size observer's first report (points just arrived) measures the canvas now
    // instead of being lost.
    if (!this.view && this.points) this.resize();
    if (!this.view) return;
    const step = e.shiftKey ? KEY_PAN * 4 : KEY_PAN;
    switch (e.key) {
      case 'ArrowLeft':
        this.pan(step, 0);
        break;
      case 'ArrowRight':
        this.pan(-step, 0);
        break;
      case 'ArrowUp':
        this.pan(0, step);
        break;
      case 'ArrowDown':
        this.pan(0, -step);
        break;
      case '+':
      case '=':
        this.zoomBy(KEY_ZOOM);
        break;
      case '-':
      case '_':
        this.zoomBy(1 / KEY_ZOOM);
        break;
      case '0':
      case 'Home':
        this.fit();
        break;
      case 'Enter':
        if (this.keyboardTarget && this.hover >= 0) this.open(this.hover);
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    this.keyboardTarget = true;
    // The paper nearest the centre (within a generous reach) is the keyboard's "hover".
    const row = this.hitTest(this.width / 2, this.height / 2, HIT_RADIUS * 4);
    this.setHover(row);
    if (row >= 0) {
      const [x, y] = this.toScreen(this.points![2 * row], this.points![2 * row + 1]);
      this.tipAt = { x, y };
      this.announcement = this.papers[row]?.title ?? '';
    }
    this.requestDraw();
  }

  private onBlur(): void {
    if (this.keyboardTarget) {
      this.keyboardTarget = false;
      this.setHover(-1);
      this.requestDraw();
    }
  }

  /** The next frame reads the new colours and repaints. */
  private onThemeChange = (): void => this.requestDraw();

  private hoverAt(sx: number, sy: number): void {
    this.tipAt = { x: sx, y: sy };
    const row = this.hitTest(sx, sy);
    this.setHover(row);
    this.canvas.classList.toggle('over-point', row >= 0);
    if (row >= 0) this.placeTooltip();
  }

  private setHover(row: number): void {
    if (row === this.hover) return;
    this.hover = row;
    this.requestDraw();
  }

  /** Results first (they are drawn on top), then the grid. */
  private hitTest(sx: number, sy: number, radius = HIT_RADIUS): number {
    if (!this.view || !this.points || !this.grid) return -1;
    const v = this.view;
    const wx = (sx - this.width / 2) / v.scale + v.cx;
    const wy = (sy - this.height / 2) / v.scale + v.cy;
    const r = radius / v.scale;
    let best = -1;
    let bestD = r * r;
    for (const row of this.highlightRows) {
      const dx = this.points[2 * row] - wx;
      const dy = this.points[2 * row + 1] - wy;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = row;
      }
    }
    return best >= 0 ? best : this.grid.nearest(wx, wy, r);
  }

  private open(row: number): void {
    const paper = this.papers[row];
    if (!paper) return;
    this.dispatchEvent(new CustomEvent('open-paper', { detail: { paperId: paper.id }, bubbles: true, composed: true }));
  }

  private placeTooltip(): void {
    const tip = this.tooltip;
    if (!tip || this.hover < 0) return;
    const { x, y } = this.tipAt;
    // Beside the pointer, flipped to the other side near the right and bottom edges.
    const left = x > this.width * 0.6;
    const above = y > this.height * 0.7;
    tip.style.transform = `translate(${left ? `calc(${x - 12}px - 100%)` : `${x + 14}px`}, ${above ? `calc(${y - 12}px - 100%)` : `${y + 14}px`})`;
  }

  // ---- size and colours ----

  private observeSize(): void {
    this.resizeObserver ??= new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.canvas);
  }

  private resize(): void {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    if (rect.width === this.width && rect.height === this.height && dpr === this.dpr) return;
    const old = { w: this.width, h: this.height };
    this.width = rect.width;
    this.height = rect.height;
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(rect.width * dpr));
    this.canvas.height = Math.max(1, Math.round(rect.height * dpr));
    this.ctx = this.canvas.getContext('2d') ?? undefined;
    this.layer = undefined;
    this.surfaces.clear();
    this.mineSprite = undefined;
    this.layerStale = true;
    if (this.needsFit || (this.atFit && this.bounds) || (old.w === 0 && this.bounds)) this.fit();
    this.requestDraw();
  }

  /**
   * The theme's colours, read each frame (a few property reads): the page may switch theme by a class
   * or a style change, not only through prefers-color-scheme. A change repaints the layer.
   */
  private refreshColours(): Colours {
    const style = getComputedStyle(this);
    const get = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    const corpus = get('--ps-muted', '#6a6d76');
    const mine = get('--_mine', '#d46a1f');
    const accent = get('--ps-accent', '#4453c4');
    const surface = get('--ps-surface', '#ffffff');
    const text = get('--ps-text', '#1c1d21');
    const c = this.colours;
    if (c && c.corpus === corpus && c.mine === mine && c.accent === accent && c.surface === surface && c.text === text) return c;
    this.mineSprite = undefined;
    this.layerStale = true;
    this.colours = { corpus, corpusPixel: pixelOf(corpus, CORPUS_ALPHA), mine, accent, surface, text };
    return this.colours;
  }

  // ---- drawing ----

  private requestDraw(): void {
    if (!this.frame && this.isConnected) this.frame = requestAnimationFrame(this.draw);
  }

  private draw = (): void => {
    this.frame = 0;
    const t0 = performance.now();
    // devicePixelRatio changes (zoom, moving to another screen) fire no resize: check each frame.
    if ((window.devicePixelRatio || 1) !== this.dpr && this.width > 0) this.resize();
    const ctx = this.ctx;
    if (!ctx) return;
    this.refreshColours();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.view && this.points && this.count > 0) {
      if (this.useLayer) this.drawLayer(ctx);
      else this.paintPoints(ctx, this.view, 0, this.canvas.width, this.canvas.height);
      this.drawMarks(ctx);
    }
    this.lastFrameMs = performance.now() - t0;
    this.frameCount++;
  };

  /**
   * At rest: blit the layer, repainting it first if it is stale, off scale or too narrow (a repaint costs
   * a frame, unseen while nothing moves). In motion: blit it if it still covers the view at this scale,
   * else paint the points directly (a few ms) and leave the repaint for when the view comes to rest, so
   * no frame mid-gesture pays for one.
   */
  private drawLayer(ctx: CanvasRenderingContext2D): void {
    const v = this.view!;
    // The settle timer's frame counts as at rest; a little slack for timer jitter.
    const resting = performance.now() - this.movedAt >= SETTLE_MS - 20;
    let layer = this.layer;
    if (layer) {
      const [x, y, w, h] = this.layerRect(layer);
      const covers = x <= 0.5 && y <= 0.5 && x + w >= this.width - 0.5 && y + h >= this.height - 0.5;
      const usable = !this.layerStale && layer.view.scale === v.scale && covers;
      // A layer can be usable yet off-centre, with little margin left: recentre it while at rest.
      const lopsided = Math.min(-x, -y, x + w - this.width, y + h - this.height) < layer.margin / 2;
      if (!usable || (resting && lopsided)) layer = undefined;
    }
    if (!layer && resting) layer = this.paintLayer(this.layerMargin());
    if (!layer) {
      this.paintPoints(ctx, v, 0, this.canvas.width, this.canvas.height);
      return;
    }
    const [x, y] = this.layerRect(layer);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    // Whole device pixels: a 1:1 copy, no resampling (sharp, and the cheapest blit).
    ctx.drawImage(layer.canvas, Math.round(x * this.dpr), Math.round(y * this.dpr));
  }

  /** Where the layer lands on screen now (CSS px): x, y, width, height. */
  private layerRect(layer: Layer): [number, number, number, number] {
    const v = this.view!;
    const k = v.scale / layer.view.scale;
    // Layer pixel p shows map point (p − margin − W/2)/s₀ + c₀; on screen that point is at (… − c)·s + W/2.
    const x = k * (-layer.margin - layer.width / 2) + (layer.view.cx - v.cx) * v.scale + this.width / 2;
    const y = k * (-layer.margin - layer.height / 2) + (layer.view.cy - v.cy) * v.scale + this.height / 2;
    return [x, y, (layer.width + 2 * layer.margin) * k, (layer.height + 2 * layer.margin) * k];
  }

  private layerMargin(): number {
    const d = this.dpr;
    let margin = Math.round(Math.max(this.width, this.height) * LAYER_MARGIN);
    while (margin > 0 && (this.width + 2 * margin) * (this.height + 2 * margin) * d * d > LAYER_MAX_PIXELS) margin = Math.floor(margin * 0.8);
    return margin;
  }

  private paintLayer(margin: number): Layer {
    const d = this.dpr;
    const w = Math.round((this.width + 2 * margin) * d);
    const h = Math.round((this.height + 2 * margin) * d);
    // One canvas and pixel buffer per layer size (panning and zooming alternate two): no reallocation.
    const key = `${w}x${h}`;
    let surface = this.surfaces.get(key);
    if (!surface) {
      if (this.surfaces.size >= 2) this.surfaces.clear();
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      surface = { canvas, pixels: new ImageData(w, h) };
      this.surfaces.set(key, surface);
    }
    const canvas = surface.canvas;
    const ctx = canvas.getContext('2d')!;
    ctx.putImageData(this.stampPoints(surface.pixels, this.view!, margin), 0, 0);
    this.layer = { canvas, view: { ...this.view! }, margin, width: this.width, height: this.height, dpr: d };
    this.layerStale = false;
    this.layerPaints++;
    return this.layer;
  }

  /** Point size in CSS px: small when crowded, growing a little as one zooms in. */
  private pointSize(view: MapView): number {
    const base = this.count > 4000 ? 2 : this.count > 1000 ? 2.5 : 3;
    return base * Math.min(2.5, Math.max(1, Math.sqrt(view.scale / this.fitScale)));
  }

  /**
   * The static points written straight into pixels: corpus points as device-pixel squares of one colour
   * (overlaps overwrite, as one path fill would), imported points as a pre-drawn disc blended on top.
   * Measured here (software canvas, 10k points): about 5 ms with the upload, where the same squares as a
   * canvas path cost 20–35 ms to record and rasterise, and 1,000 drawImage calls of a disc about 50 ms.
   */
  private stampPoints(img: ImageData, view: MapView, offset: number): ImageData {
    const { width: w, height: h } = img;
    const out = new Uint32Array(img.data.buffer);
    out.fill(0);
    const pts = this.points!;
    const d = this.dpr;
    const k = view.scale * d;
    const ox = (this.width / 2 + offset) * d - view.cx * k;
    const oy = (this.height / 2 + offset) * d - view.cy * k;
    const size = Math.max(1, Math.round(this.pointSize(view) * d));
    const half = size / 2;
    const colour = this.colours!.corpusPixel;
    const rows = this.corpusRows;
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j];
      const x0 = Math.round(pts[2 * i] * k + ox - half);
      const y0 = Math.round(pts[2 * i + 1] * k + oy - half);
      if (!(x0 >= 0 && y0 >= 0 && x0 + size <= w && y0 + size <= h)) continue; // also drops NaN
      for (let y = 0, at = y0 * w + x0; y < size; y++, at += w) for (let x = 0; x < size; x++) out[at + x] = colour;
    }
    const sprite = this.spriteFor(size);
    const sw = sprite.width;
    const { offsets, pixels, opaque } = this.spritePixels(sprite, w);
    const mine = this.mineRows;
    for (let j = 0; j < mine.length; j++) {
      const i = mine[j];
      const x0 = Math.round(pts[2 * i] * k + ox - sw / 2);
      const y0 = Math.round(pts[2 * i + 1] * k + oy - sw / 2);
      if (!(x0 >= 0 && y0 >= 0 && x0 + sw <= w && y0 + sw <= h)) continue;
      const base = y0 * w + x0;
      for (let p = 0; p < offsets.length; p++) {
        const at = base + offsets[p];
        out[at] = p < opaque ? pixels[p] : over(pixels[p], out[at]);
      }
    }
    return img;
  }

  /** The sprite's visible pixels as offsets into a `w`-wide image, opaque ones first (they just overwrite). */
  private spritePixels(sprite: HTMLCanvasElement, w: number): { offsets: Int32Array; pixels: Uint32Array; opaque: number } {
    const cached = this.mineSpritePixels;
    if (cached?.sprite === sprite && cached.w === w) return cached;
    const sw = sprite.width;
    const data = new Uint32Array(sprite.getContext('2d')!.getImageData(0, 0, sw, sw).data.buffer);
    const solid: [number, number][] = [];
    const rim: [number, number][] = [];
    data.forEach((px, p) => {
      const a = px >>> 24;
      if (a > 0) (a === 255 ? solid : rim).push([Math.floor(p / sw) * w + (p % sw), px]);
    });
    const all = [...solid, ...rim];
    this.mineSpritePixels = {
      sprite,
      w,
      offsets: Int32Array.from(all, ([o]) => o),
      pixels: Uint32Array.from(all, ([, px]) => px),
      opaque: solid.length,
    };
    return this.mineSpritePixels;
  }

  /**
   * Every point drawn as canvas paths, for painting the screen directly (the benchmark's "no layer"
   * mode, the first design): corpus points as one path of device-pixel squares, one fill for all.
   */
  private paintPoints(ctx: CanvasRenderingContext2D, view: MapView, offset: number, w: number, h: number): void {
    const pts = this.points!;
    const c = this.colours!;
    const d = this.dpr;
    const k = view.scale * d;
    const ox = (this.width / 2 + offset) * d - view.cx * k;
    const oy = (this.height / 2 + offset) * d - view.cy * k;
    const size = Math.max(1, Math.round(this.pointSize(view) * d));
    const half = size / 2;
    ctx.fillStyle = c.corpus;
    ctx.globalAlpha = CORPUS_ALPHA;
    ctx.beginPath();
    const rows = this.corpusRows;
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j];
      const x = Math.round(pts[2 * i] * k + ox - half);
      const y = Math.round(pts[2 * i + 1] * k + oy - half);
      if (x < -size || y < -size || x > w || y > h) continue;
      ctx.rect(x, y, size, size);
    }
    ctx.fill();
    ctx.globalAlpha = 1;
    this.paintImported(ctx, view, offset, w, h);
  }

  /** Imported points stamped from a pre-drawn disc, on top of the corpus. */
  private paintImported(ctx: CanvasRenderingContext2D, view: MapView, offset: number, w: number, h: number): void {
    const pts = this.points!;
    const d = this.dpr;
    const k = view.scale * d;
    const ox = (this.width / 2 + offset) * d - view.cx * k;
    const oy = (this.height / 2 + offset) * d - view.cy * k;
    const size = Math.max(1, Math.round(this.pointSize(view) * d));
    const sprite = this.spriteFor(size);
    const sh = sprite.width / 2;
    const mine = this.mineRows;
    for (let j = 0; j < mine.length; j++) {
      const i = mine[j];
      const x = Math.round(pts[2 * i] * k + ox - sh);
      const y = Math.round(pts[2 * i + 1] * k + oy - sh);
      if (x < -sprite.width || y < -sprite.width || x > w || y > h) continue;
      ctx.drawImage(sprite, x, y);
    }
  }

  /** An imported paper's mark: a disc in its own hue, ringed in the surface colour so it reads on top of the crowd. */
  private spriteFor(corpusSize: number): HTMLCanvasElement {
    const diameter = Math.round(corpusSize * 1.9) + 2;
    if (this.mineSprite?.width === diameter + 2) return this.mineSprite;
    const sprite = document.createElement('canvas');
    sprite.width = sprite.height = diameter + 2;
    const ctx = sprite.getContext('2d')!;
    const r = diameter / 2;
    ctx.beginPath();
    ctx.arc(r + 1, r + 1, r, 0, Math.PI * 2);
    ctx.fillStyle = this.colours!.surface;
    ctx.fill();
    ctx.beginPath();
    ctx.arc(r + 1, r + 1, Math.max(1, r - Math.max(1, this.dpr)), 0, Math.PI * 2);
    ctx.fillStyle = this.colours!.mine;
    ctx.fill();
    this.mineSprite = sprite;
    return sprite;
  }

  /** What changes with the query and the pointer: results, the selected paper, the hovered one. */
  private drawMarks(ctx: CanvasRenderingContext2D): void {
    const pts = this.points!;
    const c = this.colours!;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const hl = this.highlightRows;
    if (hl.length > 0) {
      const r = Math.max(4, this.pointSize(this.view!) * 1.6);
      ctx.beginPath();
      for (const row of hl) {
        const [x, y] = this.toScreen(pts[2 * row], pts[2 * row + 1]);
        if (x < -r || y < -r || x > this.width + r || y > this.height + r) continue;
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, Math.PI * 2);
      }
      ctx.lineWidth = 2;
      ctx.strokeStyle = c.surface;
      ctx.stroke();
      ctx.fillStyle = c.accent;
      ctx.fill();
    }
    this.ring(ctx, this.selectedRow, 9, c.text, 2);
    this.ring(ctx, this.hover, 7, c.accent, 2);
    if (this.keyboardTarget) {
      // Crosshair at the centre: where Enter looks for a paper.
      const x = this.width / 2;
      const y = this.height / 2;
      ctx.beginPath();
      ctx.moveTo(x - 8, y);
      ctx.lineTo(x - 3, y);
      ctx.moveTo(x + 3, y);
      ctx.lineTo(x + 8, y);
      ctx.moveTo(x, y - 8);
      ctx.lineTo(x, y - 3);
      ctx.moveTo(x, y + 3);
      ctx.lineTo(x, y + 8);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = c.text;
      ctx.stroke();
    }
  }

  private ring(ctx: CanvasRenderingContext2D, row: number, radius: number, colour: string, width: number): void {
    if (row < 0 || row >= this.count) return;
    const [x, y] = this.toScreen(this.points![2 * row], this.points![2 * row + 1]);
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, Math.PI * 2);
    ctx.lineWidth = width + 2;
    ctx.strokeStyle = this.colours!.surface;
    ctx.stroke();
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
}

/**
 * Any CSS colour (hex, rgb(), oklch(), a name…) as an ImageData pixel, by letting a 1×1 canvas parse and
 * paint it: custom properties come back as written, not normalised.
 */
function pixelOf(colour: string, alpha: number): number {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
  return ((Math.round(a * alpha) << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** Source-over of two unpremultiplied ImageData pixels (only a disc's anti-aliased rim needs it). */
function over(src: number, dst: number): number {
  const sa = (src >>> 24) / 255;
  const da = ((dst >>> 24) / 255) * (1 - sa);
  const a = sa + da;
  if (a === 0) return 0;
  const r = Math.round(((src & 255) * sa + (dst & 255) * da) / a);
  const g = Math.round((((src >>> 8) & 255) * sa + ((dst >>> 8) & 255) * da) / a);
  const b = Math.round((((src >>> 16) & 255) * sa + ((dst >>> 16) & 255) * da) / a);
  return ((Math.round(a * 255) << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-paper-map': PaperMap;
  }
}
