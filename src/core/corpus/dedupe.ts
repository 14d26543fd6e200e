import type { Paper } from '../types';
import { normaliseTitle, paperId } from './ids';
import type { ParsedPaper } from './parse';

/**
 * Merges listings of the same paper (same normalised title) into one Paper, in order of first appearance.
 * The first listing's title is kept; of the rest, the more informative value wins: the longer abstract,
 * the longer author list, the longer date ("Sep 25, 2017" over "Sep 25"). Every source is kept.
 */
export function dedupePapers(parsed: Iterable<ParsedPaper>): Paper[] {
  const byKey = new Map<string, Paper>();
  for (const listing of parsed) {
    // A title of only punctuation or symbols normalises to "": key it by the title itself so such
    // papers never merge into one.
    const key = normaliseTitle(listing.title) || `raw:${listing.title}`;
    const known = byKey.get(key);
    if (!known) {
      byKey.set(key, {
        id: paperId(listing.title),
        title: listing.title,
        abstract: listing.abstract,
        authors: listing.authors,
        date: listing.date,
        sources: [listing.source],
      });
      continue;
    }
    if (listing.abstract.length > known.abstract.length) known.abstract = listing.abstract;
    if ((listing.authors?.length ?? 0) > (known.authors?.length ?? 0)) known.authors = listing.authors;
    if ((listing.date?.length ?? 0) > (known.date?.length ?? 0)) known.date = listing.date;
    known.sources.push(listing.source);
  }
  return [...byKey.values()];
}
