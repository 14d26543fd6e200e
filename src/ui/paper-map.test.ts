import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/random';
import { PointGrid, boundsOf, fitView } from './paper-map';

function randomPoints(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: 2 * n }, () => rand() * 40 - 20);
}

/** The reference: every point, nearest within radius (later index wins a tie, like the grid). */
function bruteNearest(points: Float32Array, x: number, y: number, radius: number): number {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < points.length / 2; i++) {
    const d = (points[2 * i] - x) ** 2 + (points[2 * i + 1] - y) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

describe('PointGrid', () => {
  it('finds the same nearest point as a full scan', () => {
    const points = randomPoints(10_000, 1);
    const grid = new PointGrid(points);
    const rand = mulberry32(2);
    for (let q = 0; q < 2000; q++) {
      const x = rand() * 44 - 22;
      const y = rand() * 44 - 22;
      const radius = [0.05, 0.3, 2][q % 3];
      expect(grid.nearest(x, y, radius)).toBe(bruteNearest(points, x, y, radius));
    }
  });

  it('keeps cells small, so a hover reads a few points', () => {
    const grid = new PointGrid(randomPoints(10_000, 3));
    expect(grid.cols * grid.rows).toBeGreaterThan(2000);
    expect(grid.cols * grid.rows).toBeLessThan(20_000);
  });

  it('skips non-finite points and copes with one point or all on one spot', () => {
    const points = Float32Array.from([0, 0, NaN, 1, 5, 5, Infinity, 0]);
    const grid = new PointGrid(points);
    expect(grid.nearest(0.1, 0.1, 1)).toBe(0);
    expect(grid.nearest(5, 5, 0.5)).toBe(2);
    expect(grid.nearest(0, 1, 0.2)).toBe(-1);
    expect(new PointGrid(Float32Array.from([3, 3])).nearest(3, 3, 0.1)).toBe(0);
    expect(new PointGrid(Float32Array.from([1, 1, 1, 1])).nearest(1, 1, 0.1)).toBe(1);
    expect(new PointGrid(new Float32Array(0)).nearest(0, 0, 1)).toBe(-1);
  });
});

describe('fitView', () => {
  it('centres the points and fits the tighter axis inside the padding', () => {
    const bounds = boundsOf(Float32Array.from([-10, 0, 10, 0, 0, -2, 0, 2, NaN, 100]));
    expect(bounds).toEqual({ minX: -10, minY: -2, maxX: 10, maxY: 2 });
    const view = fitView(bounds, 1000, 500, 0.1);
    expect(view.cx).toBe(0);
    expect(view.cy).toBe(0);
    expect(view.scale).toBeCloseTo(800 / 20); // width limits: 20 units into 800 px
  });

  it('gives a usable scale for a single point', () => {
    const view = fitView(boundsOf(Float32Array.from([4, 7])), 300, 200);
    expect(view).toEqual({ scale: 1, cx: 4, cy: 7 });
  });
});
