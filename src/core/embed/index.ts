export { createEmbedder, defaultBatchSize, poolAndNormalise } from './embedder';
export type { Backend, EmbedProgress, Embedder, EmbedderOptions, ModelLoadProgress } from './types';
