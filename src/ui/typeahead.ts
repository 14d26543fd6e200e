/**
 * Embeds the query while the visitor types (issue #14): when the box pauses for PREFETCH_AFTER_MS, or at once when an
 * input brings in a whole text (a paste), the text is sent to the worker's `prefetch` (workers/query-prefetch.ts), which
 * embeds it at low priority into its recent-vector cache.
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

  /**
   * Every change of the box's text. `whole`: the change brought in more than a character (a paste, a drop, an
   * autocompletion): the text is sent at once, not after a pause, since Enter may follow at once and there is no
   * typing to wait out.
   */
  input(text: string, { whole = false }: { whole?: boolean } = {}): void {
    this.cancel();
    const trimmed = text.trim();
    if (!trimmed || trimmed === this.lastSent) return;
    const send = () => {
      if (!this.options.enabled()) return;
      this.lastSent = trimmed;
      this.options.prefetch(trimmed);
    };
    if (whole) {
      send();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      send();
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

/** An input that inserted more than one character at once: pasted, dropped, autocompleted or dictated text. */
export function insertsWholeText(event: Event): boolean {
  const { inputType, data } = event as InputEvent;
  if (inputType === undefined) return false;
  return inputType === 'insertFromPaste' || inputType === 'insertFromDrop' || inputType === 'insertReplacementText' || (data?.length ?? 0) > 1;
}
