/**
 * Title normalisation and stable ids. Two listings of the same paper differ in case, spacing, quotes
 * and dashes; the normalised title is what deduplication compares and what the id is derived from.
 */
export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // strip accents after decomposition
    .toLowerCase()
    // Letters and digits of any script survive, so non-Latin titles keep distinct ids.
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Slug of the normalised title, capped so URLs stay readable; a short hash keeps capped slugs unique. */
export function paperId(title: string): string {
  const words = normaliseTitle(title).split(' ').filter(Boolean);
  const slug = words.join('-');
  if (slug.length <= 80) return slug || `untitled-${fnv1a(title)}`;
  return `${slug.slice(0, 72).replace(/-[^-]*$/, '')}-${fnv1a(normaliseTitle(title))}`;
}

/** 32-bit FNV-1a as 8 hex digits: tiny, stable across runtimes, enough to separate capped slugs. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
