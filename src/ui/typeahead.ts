/**
 * Embeds the query while the visitor types (issue #14): when the box pauses for PREFETCH_AFTER_MS, the text is sent to
 * the worker's `prefetch` (workers/query-prefetch.ts), which embeds it at low priority into its recent-vector cache.
 * The search that Enter (or the as-you-type pause in app.ts) sends then finds the vector ready and costs search and
 * render only. Nothing is searched or shown by this controller: results stay what the app already shows.
 *
 * A newer keystroke cancels a prefetch not sent yet; Enter cancels it too (the search embeds, or finds, the vector
 * itself); the same text is not sent twice in a row.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Pause after the last keystroke before the text is embedded. Typists leave 60–120 ms between keys, so this fires
 * at pauses, not mid-word; it is shorter than the app's as-you-type search (250 ms), so that search and an Enter
 * soon after find the vector made (~20–50 ms for a short query on one WASM thread here).
 */
export const PREFETCH_AFTER_MS = 150;

export interface TypeaheadOptions {
  /** Sends a text to be embedded (fire and forget). */
  prefetch: (text: string) => void;
  /** Whether embedding ahead can help now: the model is loaded and the ranking uses meaning. */
  enabled: () => boolean;
  delayMs?: number;
}

export class TypeaheadController implements ReactiveController {
  private timer?: ReturnType<typeof setTimeout>;
  /** The last text sent, so a pause that changed nothing (arrows, a space undone) sends nothing. */
  private lastSent?: string;

  constructor(
    host: ReactiveControllerHost,
    private readonly options: TypeaheadOptions,
  ) {
    host.addController(this);
  }

  /** Every change of the box's text. */
  input(text: string): void {
    this.cancel();
    const trimmed = text.trim();
    if (!trimmed || trimmed === this.lastSent) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.options.enabled()) return;
      this.lastSent = trimmed;
      this.options.prefetch(trimmed);
    }, this.options.delayMs ?? PREFETCH_AFTER_MS);
  }

  /** Enter, Back, an example: whatever searches now makes a pending prefetch pointless. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Whether a prefetch is waiting for its pause (for tests). */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  hostDisconnected(): void {
    this.cancel();
  }
}
