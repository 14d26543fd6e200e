/**
 * Links from the user's files: only web URLs become links. A `javascript:` or `data:` URL in an imported
 * paper would otherwise run in this page when clicked.
 */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
