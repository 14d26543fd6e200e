// Worker-thread entry for the embedding pool (src/cli/embed-pool.ts). Plain JavaScript because Node does not
// hand a worker the parent's TypeScript loader: tsx's hooks are registered here, then the real worker loads.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
