/** The corpus room: listing pages → deduplicated Paper[] with stable ids, and the corpus fingerprint. */
export { normaliseTitle, paperId, fnv1a } from './ids';
export { readEntries, type Entry, type EntryEvent } from './entries';
export { parseSeedFile, type ParsedPaper, type ParseProblem } from './parse';
export { dedupePapers } from './dedupe';
export { buildCorpus, type CorpusFile } from './build';
export { corpusHash, CorpusHasher } from './hash';
