import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildCorpus } from '../core/corpus';
import { REPO_ROOT, SEEDS_DIR } from './node-env';

/** Reads every seed file and parses them into one deduplicated corpus. */
export function readSeedCorpus(dir = SEEDS_DIR) {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => ({ name: relative(REPO_ROOT, join(dir, name)), text: readFileSync(join(dir, name), 'utf8') }));
  return buildCorpus(files);
}
