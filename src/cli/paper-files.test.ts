import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededBytes } from '../../test/helpers/random';
import { checkInputPaths, formatProblem, readPaperPaths, streamPaperPath } from './paper-files';

const dir = mkdtempSync(join(tmpdir(), 'papersift-paper-files-'));
const write = (name: string, data: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};

describe('checkInputPaths', () => {
  it('names each path that is missing, a directory or empty, and passes good files', () => {
    const good = write('good.jsonl', '{"title": "T", "abstract": "A."}\n');
    const empty = write('empty.bib', '');
    const missing = join(dir, 'missing.json');
    expect(checkInputPaths([good, missing, dir, empty], '--corpus')).toEqual([
      `--corpus ${missing}: no such file`,
      `--corpus ${dir} is a directory; give the paper files inside it (for example ${dir}/*.bib)`,
      `--corpus ${empty} is empty`,
    ]);
    expect(checkInputPaths([good], '--with')).toEqual([]);
  });
});

describe('streamPaperPath', () => {
  it('streams a file in batches, reporting a bad record with its line', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => (i === 2500 ? '{"title": broken' : JSON.stringify({ id: `r${i}`, title: `Paper number ${i}`, abstract: `Abstract ${i}. `.repeat(20) })));
    const path = write('big.jsonl', `${lines.join('\n')}\n`);
    const batches: number[] = [];
    const summary = await streamPaperPath(path, { onPapers: (papers) => void batches.push(papers.length) });
    expect(summary.count).toBe(4999);
    expect(batches.length).toBeGreaterThan(1); // ~1.3 MB read in 1 MB chunks
    expect(batches.reduce((a, b) => a + b, 0)).toBe(4999);
    expect(summary.problems.map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^${path}:2501: error: not valid JSON`))]);
  });

  it('refuses a binary file, naming it', async () => {
    const path = write('noise', seededBytes(20_000, 3));
    const summary = await streamPaperPath(path);
    expect(summary.count).toBe(0);
    expect(summary.problems.map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^${path}: error: ${path} is binary, not text`))]);
  });
});

describe('readPaperPaths', () => {
  it('reads several formats as one corpus, duplicates across files reported once', async () => {
    const a = write('a.json', JSON.stringify([{ id: '2106.09685', title: 'LoRA: Low-Rank Adaptation', abstract: 'Adapters.' }]));
    const b = write('b.csv', 'id,title,abstract\nlora,"LoRA: low-rank adaptation!",Again.\nx,Other,Text.\n');
    const result = await readPaperPaths([a, b]);
    expect(result.papers.map((p) => p.id)).toEqual(['2106.09685', 'x']);
    expect(result.problems.map(formatProblem)).toEqual([`${b}:2: warning: duplicate of ${a}:1 (same title); the first is kept`]);
  });
});
