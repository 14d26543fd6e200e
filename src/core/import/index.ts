/** The user's own papers: import files → papers (via src/core/sources), papers → the engine, and the collection file. */
export { importPapers, type CollectionEngine, type ImportPapersResult } from './import-papers';
export { exportCollection, readCollection, COLLECTION_FORMAT, COLLECTION_VERSION, type Collection, type CollectionHeader } from './collection-file';
export type { ImportedPaper, ImportProblem, ImportResult } from './imported-paper';
export { parseImportFile, parseBibtex, parseJsonPapers, parsePastedList, PASTED_SOURCE, IMPORT_FORMATS, type ImportFormat } from './parse-import-file';
