import { searchCli } from '../../test/helpers/search-cli';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShippedEngine } from '../../test/helpers/shipped-engine';
import type { Embedder } from '../core/embed/types';
import type { SearchEngine } from '../core/search';
import { seededBytes } from '../../test/helpers/random';
import { REPO_ROOT } from './node-env';
import { runBatch } from './search';

describe('runBatch', () => {
  let engine: SearchEngine;
  let embedder: Embedder;
  beforeAll(async () => {
    ({ engine, embedder } = await openShippedEngine());
  });
  afterAll(async () => embedder?.dispose());

  it('answers good lines and names each bad one, without stopping', async () => {
    const source = engine.papers[10];
    const lines = [
      JSON.stringify({ id: 'q1', text: 'sparse autoencoders for interpretability' }),
      '{not json',
      JSON.stringify({ id: 'q2', text: '   ' }),
      JSON.stringify({ id: 's1', similar: source.id }),
      JSON.stringify({ id: 's2', similar: 'a paper that does not exist' }),
      JSON.stringify({ id: 'x', foo: 1 }),
      '',
      JSON.stringify({ id: 's3', similar: source.title }),
    ];
    const out = await runBatch(lines, engine, embedder, { k: 5 });
    expect(out.map((o) => o.id)).toEqual(['q1', null, 'q2', 's1', 's2', 'x', 's3']);
    expect(out[0].results).toHaveLength(5);
    expect(out[1].error).toMatch(/line 2: not valid JSON/);
    expect(out[2].error).toMatch(/line 3 \(q2\): The query is empty/);
    expect(out[3].results?.map((r) => r.id)).not.toContain(source.id);
    expect(out[4].error).toMatch(/No paper with id or title "a paper that does not exist"/);
    expect(out[5].error).toMatch(/line 6: needs "text" or "similar"/);
    expect(out[6].results).toEqual(out[3].results);
  });
});

/** The real command, as a user runs it: one process, artifacts reused. */
const cliAsync = searchCli;

describe('npm run search', () => {
  it('prints a ranked table and says it reused the artifacts', async () => {
    const { code, stdout, stderr } = await cliAsync(['sparse autoencoders find monosemantic features', '--k', '3']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/Reusing artifacts in public\/artifacts/);
    expect(stdout).toMatch(/^rank +relevance +title \/ id$/m);
    expect(stdout.match(/^ +[123] +(Strong match|Likely relevant|Possibly relevant|Weak match) +\d+% +\S/gm)).toHaveLength(3);
    expect(stdout).toMatch(/^\d+ papers? contains? (all|some) of the query's words/m);
    expect(stdout).not.toMatch(/No close matches/);
  });

  it('says when nothing matches well', async () => {
    const { code, stdout } = await cliAsync(['xqzvv wplk', '--k', '3']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^No close matches — nearest papers:$/m);
    expect(stdout).toMatch(/^No paper contains the query's words$/m);
  });

  it('runs a batch file: JSON line per entry, exit 0 when some ran, 1 when none did', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papersift-batch-'));
    const good = join(dir, 'good.jsonl');
    writeFileSync(good, `${JSON.stringify({ id: 'q1', text: 'graph neural networks' })}\nnot json\n`);
    const mixed = await cliAsync(['--batch', good, '--json', '--dims', '64', '--adaptive']);
    expect(mixed.code).toBe(0);
    const lines = mixed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].id).toBe('q1');
    expect(lines[0].results).toHaveLength(10);
    expect(lines[1].error).toMatch(/line 2/);
    expect(mixed.stderr).toMatch(/1 of 2 batch entries ran/);

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, 'nope\n');
    expect((await cliAsync(['--batch', bad])).code).toBe(1);
    expect((await cliAsync(['--batch', join(dir, 'missing.jsonl')])).stderr).toMatch(/--batch .*missing\.jsonl: no such file/);
  });

  it('finds papers related to a pasted abstract, with your papers added by --with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papersift-related-'));
    const pasted = join(dir, 'draft.txt');
    writeFileSync(pasted, 'Late interaction retrieval\nWe score passages by matching each query token embedding against the passage token embeddings.\n');
    const bib = join(REPO_ROOT, 'test', 'fixtures', 'import', 'papers.bib');
    const run = await cliAsync(['--related', pasted, '--with', bib, '--k', '3', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Added 4 papers from .*papers\.bib \(bibtex; 0 already held, 2 unreadable, 0 warnings\)/);
    expect(run.stderr).toMatch(/papers\.bib:25: error: /);
    const { query, results } = JSON.parse(run.stdout);
    expect(query).toBe('Late interaction retrieval');
    expect(results[0].id).toBe('khattab2020colbert'); // the BibTeX key, so results join with the user's data
    expect((await cliAsync(['--related', join(dir, 'missing.txt')])).stderr).toMatch(/--related .*missing\.txt: no such file/);
  });

  it('refuses a --with file that is missing, a directory, binary or without papers, before the engine loads, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papersift-with-'));
    const junk = join(dir, 'junk');
    writeFileSync(junk, seededBytes(20_000, 7));
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '[]');
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.bib'), /--with .*missing\.bib: no such file/],
      [dir, new RegExp(`--with ${dir} is a directory`)],
      [junk, /junk is binary, not text/],
      [empty, /Nothing usable in .*empty\.json/],
    ];
    for (const [path, message] of cases) {
      const run = await cliAsync(['some query', '--with', path]);
      expect(run.code, path).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/Reusing artifacts|Rebuilding/);
    }
  });

  it('explains bad flags and unknown papers', async () => {
    const unknown = await cliAsync(['--similar', 'definitely-not-a-paper']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No paper with id or title "definitely-not-a-paper"/);
    const badDims = await cliAsync(['query', '--dims', 'many']);
    expect(badDims.code).toBe(2);
    expect(badDims.stderr).toMatch(/--dims must be a whole number/);
    expect((await cliAsync([])).stderr).toMatch(/Nothing to search/);
    const badYear = await cliAsync(['query', '--year', '2009-2001']);
    expect(badYear.code).toBe(2);
    expect(badYear.stderr).toMatch(/The year range 2009–2001 is empty/);
    expect((await cliAsync(['query', '--sort', 'oldest'])).stderr).toMatch(/--sort must be one of relevance, date/);
  });

  it('says so when a filter leaves no paper (the seed corpus has no dates)', async () => {
    const run = await cliAsync(['graph neural networks', '--year', '2020']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/No paper in this collection matches 2020 \(of 364 papers\)/);
  });
});
