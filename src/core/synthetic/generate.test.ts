import { describe, expect, it } from 'vitest';
import { dot } from '../vectors';
import { DEFAULT_ISOTROPIC_SHARE, generatePapers, neighbourNoiseFactor, type SourcePaper, type SyntheticOptions, type SyntheticPaper } from './generate';

const DIMS = 16;
/** Four topics with their own words, and vectors along their own axes (two papers per topic, close together). */
const TOPICS = ['galaxy telescope redshift', 'protein folding enzyme', 'compiler register allocation', 'auction pricing equilibrium'];
const sources: SourcePaper[] = TOPICS.flatMap((words) =>
  [0, 1].map((k) => ({
    title: `Study ${k} of ${words.split(' ')[0]}: ${words} revisited`,
    abstract: words
      .split(' ')
      .map((w, i) => `This sentence number ${i} of paper ${k} is about ${w} and ${words}.`)
      .join(' '),
  })),
);
const vectors = new Float32Array(sources.length * DIMS);
sources.forEach((_, i) => {
  const topic = Math.floor(i / 2);
  vectors[i * DIMS + topic] = 0.95;
  vectors[i * DIMS + 8 + (i % 2)] = Math.sqrt(1 - 0.95 ** 2);
});

function take(n: number, seed = 7, options: Partial<SyntheticOptions> = {}): SyntheticPaper[] {
  const out: SyntheticPaper[] = [];
  for (const p of generatePapers(sources, vectors, DIMS, { seed, neighbours: 1, ...options })) {
    out.push(p);
    if (out.length === n) break;
  }
  return out;
}

describe('generatePapers', () => {
  it('is deterministic from its seed, and another seed gives another corpus', () => {
    const a = take(50);
    const b = take(50);
    expect(b.map((p) => p.paper)).toEqual(a.map((p) => p.paper));
    expect(b.map((p) => Array.from(p.vector))).toEqual(a.map((p) => Array.from(p.vector)));
    expect(take(50, 8).map((p) => p.paper.title)).not.toEqual(a.map((p) => p.paper.title));
  });

  it('writes papers with unique ids, unit vectors, dates in range, authors and categories', () => {
    const papers = take(200);
    expect(new Set(papers.map((p) => p.paper.id)).size).toBe(200);
    for (const { paper, vector } of papers) {
      expect(Math.abs(dot(vector, vector) - 1)).toBeLessThan(1e-5);
      expect(paper.published! >= '2015-01-01' && paper.published! <= '2026-11-30').toBe(true);
      expect(paper.authors!.length).toBeGreaterThan(0);
      expect(paper.categories!.length).toBeGreaterThan(0);
      // No sentence twice in one abstract.
      const sentences = paper.abstract.split(/(?<=\.) /);
      expect(new Set(sentences).size).toBe(sentences.length);
    }
  });

  it('puts papers of one topic near each other, sharing its words', () => {
    const papers = take(400);
    let same = 0;
    let sameCount = 0;
    let other = 0;
    let otherCount = 0;
    for (let i = 0; i < papers.length; i++) {
      for (let j = i + 1; j < papers.length; j++) {
        const cos = dot(papers[i].vector, papers[j].vector);
        if (Math.floor(papers[i].primary / 2) === Math.floor(papers[j].primary / 2)) {
          same += cos;
          sameCount++;
        } else {
          other += cos;
          otherCount++;
        }
      }
    }
    expect(same / sameCount).toBeGreaterThan(other / otherCount + 0.3);
    // A paper's nearest neighbour shares its primary topic's words in most cases.
    let shared = 0;
    for (const p of papers.slice(0, 100)) {
      let best: SyntheticPaper | undefined;
      let bestCos = -2;
      for (const q of papers) {
        if (q === p) continue;
        const cos = dot(p.vector, q.vector);
        if (cos > bestCos) [best, bestCos] = [q, cos];
      }
      const topicWords = TOPICS[Math.floor(p.primary / 2)].split(' ');
      if (topicWords.some((w) => best!.paper.abstract.includes(w))) shared++;
    }
    expect(shared).toBeGreaterThanOrEqual(90);
  });

  it('shapes the noise like the sources\' differences from their neighbours by default; isotropic on request, same text', () => {
    // Each source's nearest neighbour is its topic sibling, which differs from it along e8 − e9 only: noise shaped
    // by the neighbours alone stays in that direction, so a paper has nothing outside its topic axis and e8, e9.
    const outside = (papers: SyntheticPaper[]) => {
      let energy = 0;
      for (const { vector, primary } of papers) {
        for (let d = 0; d < DIMS; d++) if (d !== Math.floor(primary / 2) && d !== 8 && d !== 9) energy += vector[d] ** 2;
      }
      return energy / papers.length;
    };
    const shapedOnly = take(200, 7, { isotropicShare: 0 });
    const byDefault = take(200);
    const isotropic = take(200, 7, { noiseShape: 'isotropic' });
    expect(take(200, 7, { noiseShape: 'neighbours', isotropicShare: DEFAULT_ISOTROPIC_SHARE }).map((p) => Array.from(p.vector))).toEqual(
      byDefault.map((p) => Array.from(p.vector)),
    );
    expect(outside(shapedOnly)).toBeLessThan(1e-10);
    // The default spreads part of it evenly: between the two.
    expect(outside(byDefault)).toBeGreaterThan(0.001);
    expect(outside(byDefault)).toBeLessThan(outside(isotropic));
    // The shape changes the vectors only: the text (and the PRNG stream behind it) is the same.
    expect(isotropic.map((p) => p.paper)).toEqual(byDefault.map((p) => p.paper));
    expect(take(200, 8).map((p) => Array.from(p.vector))).not.toEqual(byDefault.map((p) => Array.from(p.vector)));
    expect(() => take(1, 7, { noiseShape: 'round' as SyntheticOptions['noiseShape'] })).toThrow(/noiseShape/);
    expect(() => take(1, 7, { isotropicShare: 1.5 })).toThrow(/isotropicShare/);
  });

  it('gives the shaped noise the covariance of the neighbour differences plus an even share, at the isotropic noise\'s energy', () => {
    // Random sources in 6 dims with an anisotropic spread; each source's neighbours are the next two.
    const dims = 6;
    const n = 40;
    let state = 11;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const spread = [1, 0.7, 0.4, 0.2, 0.1, 0.05];
    const rows = Float32Array.from({ length: n * dims }, (_, i) => spread[i % dims] * random());
    const prepared = Array.from({ length: n }, (_, i) => ({ neighbours: Int32Array.of((i + 1) % n, (i + 2) % n) }));
    const noise = 0.03;
    const share = 0.3;
    const factor = neighbourNoiseFactor(rows, dims, prepared, noise, share);
    // F·Fᵀ against the covariance of the differences, scaled to a trace of noise² · dims.
    const covariance = new Float64Array(dims * dims);
    for (let i = 0; i < n; i++) {
      for (const j of prepared[i].neighbours) {
        for (let a = 0; a < dims; a++) {
          for (let b = 0; b < dims; b++) covariance[a * dims + b] += (rows[i * dims + a] - rows[j * dims + a]) * (rows[i * dims + b] - rows[j * dims + b]);
        }
      }
    }
    let trace = 0;
    for (let a = 0; a < dims; a++) trace += covariance[a * dims + a];
    let ffTrace = 0;
    for (let a = 0; a < dims; a++) {
      for (let b = 0; b < dims; b++) {
        let ff = 0;
        for (let r = 0; r < dims; r++) ff += factor[a * dims + r] * factor[b * dims + r];
        if (a === b) ffTrace += ff;
        const want = (1 - share) * (covariance[a * dims + b] / trace) * noise * noise * dims + (a === b ? share * noise * noise : 0);
        expect(ff).toBeCloseTo(want, 7);
      }
    }
    expect(ffTrace).toBeCloseTo(noise * noise * dims, 8);
  });
});
