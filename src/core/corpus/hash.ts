import { PAPER_METADATA_FIELDS, type Paper } from '../types';

/**
 * A fingerprint of the corpus that artifacts were built from, as 16 hex digits: 64-bit FNV-1a over the
 * UTF-8 of one JSON line per paper, in order. Synchronous (WebCrypto's digest is not) and cheap enough for a
 * million papers; it guards against stale artifacts, not against forgery.
 *
 * It covers what a reader sees of a paper (id, title, abstract, authors, date, and the metadata fields a
 * corpus record may add: link, published date, categories, DOI, venue, arXiv id) and the order, since vectors
 * are addressed by row. Metadata is appended only when a paper has some, so a corpus without any (the seed
 * listings) keeps the hash it had before those fields existed. Sources are left out: they say where a listing was read, and a seed file
 * gaining a line above a paper should not force re-embedding the corpus.
 */
export function corpusHash(papers: readonly Paper[]): string {
  const hasher = new CorpusHasher();
  for (const paper of papers) hasher.add(paper);
  return hasher.digest();
}

/** corpusHash one paper at a time, for a merge that streams a million papers instead of holding them. */
export class CorpusHasher {
  private readonly encoder = new TextEncoder();
  // The 64-bit state as two 32-bit halves (FNV offset basis 0xcbf29ce484222325), kept in int32 arithmetic,
  // which runs about twice as fast as the same sums in doubles.
  private hi = 0xcbf29ce4 | 0;
  private lo = 0x84222325 | 0;

  add(paper: Paper): void {
    // JSON frames the fields unambiguously (no "ab"+"c" = "a"+"bc") and never contains a raw newline.
    const fields: unknown[] = [paper.id, paper.title, paper.abstract, paper.authors, paper.date];
    const metadata = PAPER_METADATA_FIELDS.map((field) => paper[field] ?? null);
    if (metadata.some((value) => value !== null)) fields.push(metadata);
    const bytes = this.encoder.encode(`${JSON.stringify(fields)}\n`);
    let { hi, lo } = this;
    for (let i = 0; i < bytes.length; i++) {
      const x = lo ^ bytes[i];
      // Multiply by the FNV prime 2^40 + 0x1b3 modulo 2^64. x * 0x1b3 is done in 16-bit halves so that no
      // product leaves int32; what it carries past 32 bits goes to hi, and x * 2^40 lands in hi as x << 8.
      const lowProduct = (x & 0xffff) * 0x1b3;
      const highProduct = (x >>> 16) * 0x1b3 + (lowProduct >>> 16);
      lo = (highProduct << 16) | (lowProduct & 0xffff);
      hi = (Math.imul(hi, 0x1b3) + (highProduct >>> 16) + (x << 8)) | 0;
    }
    this.hi = hi;
    this.lo = lo;
  }

  digest(): string {
    return (this.hi >>> 0).toString(16).padStart(8, '0') + (this.lo >>> 0).toString(16).padStart(8, '0');
  }
}
