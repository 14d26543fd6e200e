/** The user's own papers: import formats → papers, papers → the engine, and the collection file. */
export { parseBibtex } from './parse-bibtex';
export { parseJsonPapers } from './parse-json-papers';
export { parsePastedList, PASTED_SOURCE } from './parse-pasted-list';
export { importPapers, type ImportPapersResult } from './import-papers';
export { exportCollection, readCollection, COLLECTION_FORMAT, COLLECTION_VERSION, type Collection, type CollectionHeader } from './collection-file';
export type { ImportedPaper, ImportProblem, ImportResult } from './imported-paper';
export { detectImportFormat, parseImportFile, IMPORT_FORMATS, type ImportFormat } from './parse-import-file';
