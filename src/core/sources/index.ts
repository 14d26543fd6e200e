/**
 * Paper files → papers: the one reader behind `--corpus`, `--with` and the site's import. Bytes in (any
 * chunking), encoding and format detected, records checked into Papers with their own ids, duplicates and
 * problems reported with file and line (errors lose an entry, warnings keep it).
 */
export { readPaperFile, readPaperFiles, type PaperFilesResult } from './read';
export { PaperFileStream, type ReadOptions } from './stream';
export { PaperDeduper } from './dedupe';
export { sniffEncoding, SNIFF_BYTES } from './decode';
export { MAX_TITLE_CHARS, MAX_ABSTRACT_CHARS } from './record';
export { PAPER_FORMATS, type PaperFormat, type PaperFileResult, type SourceProblem, type TextEncodingName } from './types';
