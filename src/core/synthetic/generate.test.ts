import { describe, expect, it } from 'vitest';
import { dot } from '../vectors';
import { generatePapers, type SourcePaper, type SyntheticPaper } from './generate';

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

function take(n: number, seed = 7): SyntheticPaper[] {
  const out: SyntheticPaper[] = [];
  for (const p of generatePapers(sources, vectors, DIMS, { seed, neighbours: 1 })) {
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
});
