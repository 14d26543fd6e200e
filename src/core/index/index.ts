export type { AnnIndex, AnnResult, AnnSearchOptions } from './types';
export { ExactIndex } from './exact';
export { DEFAULT_HNSW_PARAMS, HnswIndex, type HnswParams } from './hnsw';
