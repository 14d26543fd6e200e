/**
 * One embedding worker: its own ONNX session with an explicit thread count, embedding the chunks the pool
 * sends and returning their vectors (transferred, not copied).
 */
import './node-env';
import { parentPort, workerData } from 'node:worker_threads';
import { createEmbedder } from '../core/embed';
import { describeError } from '../core/errors';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './embed-pool';

const setup = workerData as WorkerSetup;
const port = parentPort!;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const embedder = await createEmbedder({
    modelId: setup.modelId,
    dtype: setup.dtype,
    localModelPath: setup.localModelPath,
    numThreads: setup.numThreads,
  });
  port.on('message', async (request: WorkerRequest) => {
    if (request.type === 'stop') {
      await embedder.dispose();
      process.exit(0); // ends this thread only; nothing else keeps it alive on purpose
    }
    try {
      const vectors = await embedder.embedDocuments(request.texts, { batchSize: setup.batchSize });
      reply({ type: 'vectors', chunk: request.chunk, vectors }, [vectors.buffer as ArrayBuffer]);
    } catch (e) {
      reply({ type: 'error', message: describeError(e) });
    }
  });
  reply({ type: 'ready' });
} catch (e) {
  reply({ type: 'error', message: describeError(e) });
}
