export { createEmbedder, DEFAULT_BATCH_SIZE, poolAndNormalise } from './embedder';
export type { Backend, EmbedProgress, Embedder, EmbedderOptions, ModelFileFetcher, ModelLoadProgress } from './types';
