/** Every file of an artifact set on disk, read into memory once, by its path in the set: benches time the engine, not the disk. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { artifactsDirReader } from '../src/cli/build-pipeline';
import { modelsDir } from '../src/cli/node-env';
import { createEmbedder } from '../src/core/embed';
import type { FileSource } from '../src/core/format3/sharded-files';
import type { Dtype } from '../src/core/models';

export function readSetFiles(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), new Uint8Array(readFileSync(path)));
    }
  };
  walk(dir);
  return files;
}

/**
 * Query embeddings by a set's model, kept in .cache/format3-speed/<cacheName>-<model>-<dtype>.json so that a
 * bench run again embeds only the texts it has not seen (cacheName '' is format3-speed's own file).
 */
export async function cachedQueryEmbeddings(model: { id: string; dtype: Dtype }, texts: readonly string[], cacheName = ''): Promise<Float32Array[]> {
  const cacheDir = join('.cache', 'format3-speed');
  const cacheFile = join(cacheDir, `${cacheName}${model.id.replace(/\W+/g, '-')}-${model.dtype}.json`);
  const cached: Record<string, number[]> = existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : {};
  const missing = texts.filter((t) => !cached[t]);
  if (missing.length > 0) {
    const embedder = await createEmbedder({ modelId: model.id, dtype: model.dtype, localModelPath: modelsDir() });
    try {
      for (const text of missing) cached[text] = Array.from(await embedder.embedQuery(text));
    } finally {
      await embedder.dispose();
    }
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(cached));
  }
  return texts.map((t) => Float32Array.from(cached[t]));
}

/** A set's files held in memory as the engine's file source; a name the set lacks is an error. */
export function memorySource(files: ReadonlyMap<string, Uint8Array>): FileSource {
  return async (name) => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`no file ${name}`);
    return bytes;
  };
}

/** A set's files read from disk as first asked for, then held in memory (a 1M set's 2 GB are never read whole). */
export function heldDiskSource(dir: string): (name: string) => Promise<Uint8Array> {
  const held = new Map<string, Promise<Uint8Array>>();
  const disk = artifactsDirReader(dir);
  return (name) => {
    let got = held.get(name);
    if (!got) {
      got = disk(name).then((bytes) => {
        if (!bytes) throw new Error(`no file ${name}`);
        return bytes;
      });
      held.set(name, got);
    }
    return got;
  };
}
