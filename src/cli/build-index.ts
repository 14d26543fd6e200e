/** npm run build-index [-- --model ID] [--dtype q8|fp32] [--out DIR]: embed the seed corpus and write artifacts. */
import './node-env';
import { parseArgs } from 'node:util';
import { describeError } from '../core/errors';
import type { Dtype } from '../core/models';
import { openEngine } from './open-engine';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      dtype: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  const started = performance.now();
  const opened = await openEngine({
    modelId: values.model,
    dtype: values.dtype as Dtype | undefined,
    dir: values.out,
    rebuild: values.force,
  });
  await opened.embedder.dispose();
  const m = opened.artifacts.manifest;
  process.stderr.write(
    `${opened.action === 'reused' ? 'Up to date' : 'Built'}: ${m.count} papers, ${m.model.id} ${m.model.dtype}, ` +
      `graphs at ${m.indexDims.join('/')} dims, corpus ${m.corpusHash.slice(0, 12)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`build-index failed: ${describeError(e)}\n`);
    process.exit(1);
  },
);
