/**
 * Duplicates across every file of one read: the same id, or the same normalised title, is the same paper.
 * The first one read wins; a later one is reported once, as a warning naming both places.
 *
 * Sized for the full arXiv snapshot (~2.7M records): titles are remembered as a short hash, not as text,
 * and places as numbers (file index and line), not as strings.
 */
import { fnv1a, normaliseTitle } from '../corpus/ids';
import type { Paper } from '../types';

export class PaperDeduper {
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();
  /** id → place; title hash → place. A place is fileIndex * 2^32 + line. */
  private readonly byId = new Map<string, number>();
  private readonly byTitle = new Map<string, number>();

  /** How many papers have been kept. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Remembers the paper and returns undefined, or returns why it repeats an earlier one. A paper whose id
   * is only its title's slug (`ownId` false) never collides on id with a different paper: it gets a suffix.
   */
  admit(paper: Paper, file: string, line: number, ownId: boolean): string | undefined {
    const normalised = normaliseTitle(paper.title);
    // A title of only punctuation or symbols normalises to "": key it by the title itself so such papers never merge.
    const titleKey = titleHash(normalised || `raw:${paper.title}`);
    const sameTitle = this.byTitle.get(titleKey);
    if (sameTitle !== undefined) return `duplicate of ${this.place(sameTitle)} (same title); the first is kept`;
    let sameId = this.byId.get(paper.id);
    if (sameId !== undefined && !ownId) {
      const base = paper.id;
      for (let n = 2; sameId !== undefined; n++) {
        paper.id = `${base}-${n}`;
        sameId = this.byId.get(paper.id);
      }
    }
    if (sameId !== undefined) return `duplicate of ${this.place(sameId)} (same id "${paper.id}"); the first is kept`;
    const place = this.indexOf(file) * 2 ** 32 + line;
    this.byId.set(paper.id, place);
    this.byTitle.set(titleKey, place);
    return undefined;
  }

  private indexOf(file: string): number {
    let index = this.fileIndex.get(file);
    if (index === undefined) {
      index = this.files.push(file) - 1;
      this.fileIndex.set(file, index);
    }
    return index;
  }

  private place(packed: number): string {
    const file = this.files[Math.floor(packed / 2 ** 32)];
    return `${file}:${packed % 2 ** 32}`;
  }
}

/**
 * 85 bits of hash as a short string: cyrb53 (53 bits) and 32-bit FNV-1a. Over 2.7M titles the chance that
 * two different titles share a key is about 1e-13.
 */
function titleHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36) + fnv1a(text);
}
