import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FILES, parseManifest } from '../core/artifacts';
import { readSeedCorpus } from './corpus-files';
import { openEngine } from './open-engine';

/** The whole path a user takes with another model: no artifacts → build; same again → reuse; stale → rebuild. */
describe('openEngine', () => {
  it('builds when artifacts are missing, reuses them when they match, rebuilds when stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papersift-artifacts-'));
    const cacheDir = mkdtempSync(join(tmpdir(), 'papersift-embeddings-'));
    const log: string[] = [];
    // A slice of the seeds keeps two builds quick; the path is the one the full corpus takes.
    const seeds = readSeedCorpus();
    const corpus = { papers: seeds.papers.slice(0, 40), problems: [] };
    const options = { modelId: 'all-MiniLM-L6-v2', dir, corpus, cacheDir, log: (l: string) => log.push(l) };

    const first = await openEngine(options);
    expect(first.action).toBe('built');
    expect(log.join('\n')).toMatch(/Building artifacts .*No manifest\.json found/);
    const built = first.artifacts;
    await first.embedder.dispose();

    const second = await openEngine(options);
    expect(second.action).toBe('reused');
    expect(Array.from(second.artifacts.vectors.subarray(0, 384))).toEqual(Array.from(built.vectors.subarray(0, 384)));
    // The same corpus and model give the same rotation, so a rebuild is reproducible.
    expect(second.artifacts.rotation).toEqual(built.rotation);
    expect(second.engine.papers).toHaveLength(40);
    const source = second.engine.papers[5].id;
    expect(second.engine.similar(source).hits.map((h) => h.paper.id)).toEqual(first.engine.similar(source).hits.map((h) => h.paper.id));
    await second.embedder.dispose();

    const manifestPath = join(dir, FILES.manifest);
    const manifest = parseManifest(readFileSync(manifestPath));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, corpusHash: 'from-an-older-corpus' }));
    log.length = 0;
    const third = await openEngine(options);
    expect(third.action).toBe('built');
    expect(log.join('\n')).toMatch(/Artifacts are stale \(corpus hash: artifacts have from-an-older-corpus/);
    // The texts have not changed, so the rebuild takes every vector from the embedding cache.
    expect(log.join('\n')).toMatch(/0 papers embedded, 40 reused from the embedding cache/);
    expect(third.artifacts.vectors).toEqual(built.vectors);
    await third.embedder.dispose();
  }, 300_000);
});
