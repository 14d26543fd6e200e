/**
 * The query box (or, for "find related", a box for a pasted title and abstract) and the search
 * options (ranking, dims, adaptive). Renders what it is given and reports what
 * the user does; the app decides what that means for the URL and the engine.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { SearchMode } from '../protocol';
import { shared } from './theme';
import { insertsWholeText } from './typeahead';

const MODE_LABELS: [SearchMode, string, string][] = [
  ['hybrid', 'Hybrid', 'Meaning and keywords together (best on most queries)'],
  ['semantic', 'Semantic', 'Meaning only: embeddings of the query and the papers'],
  ['lexical', 'Keyword', 'Keywords only (BM25); needs no model'],
];

export type SearchBarEvents = {
  /**
   * Every keystroke; the app debounces. `whole`: this input brought in more than one character at once (a paste, a
   * drop, an autocompletion, dictation), so the text is likely complete rather than a word being typed.
   */
  'query-input': CustomEvent<{ text: string; whole: boolean }>;
  /** Enter: search now. */
  'query-submit': CustomEvent<{ text: string }>;
  'dims-change': CustomEvent<{ dims: number | null }>;
  'adaptive-change': CustomEvent<{ adaptive: boolean }>;
  'mode-change': CustomEvent<{ mode: SearchMode }>;
  /** Arrow down in the box: move into the results. */
  'enter-results': CustomEvent<void>;
};

@customElement('ps-search-bar')
export class SearchBar extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
      }
      .box {
        position: relative;
      }
      .box svg {
        position: absolute;
        left: 1rem;
        top: 50%;
        width: 1.25rem;
        height: 1.25rem;
        transform: translateY(-50%);
        color: var(--ps-muted);
        pointer-events: none;
      }
      input[type='search'] {
        width: 100%;
        padding: 0.85rem 3.2rem 0.85rem 2.9rem;
        border: 1px solid var(--ps-border);
        border-radius: 14px;
        background: var(--ps-surface);
        color: var(--ps-text);
        font: inherit;
        font-size: 1.1rem;
        box-shadow: var(--ps-shadow);
        transition:
          border-color 0.15s,
          box-shadow 0.15s;
      }
      input[type='search']::placeholder {
        color: var(--ps-muted);
      }
      input[type='search']:focus,
      textarea:focus {
        outline: none;
        border-color: var(--ps-accent);
        box-shadow:
          0 0 0 3px var(--ps-accent-soft),
          var(--ps-shadow);
      }
      .box kbd {
        position: absolute;
        right: 1rem;
        top: 50%;
        transform: translateY(-50%);
        color: var(--ps-muted);
      }
      input[type='search']:focus ~ kbd {
        display: none;
      }
      .bar {
        display: flex;
        align-items: start;
        gap: 0.75rem;
        margin-top: 0.85rem;
      }
      .options-toggle {
        display: none;
      }
      .options {
        display: flex;
        flex: 1;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.75rem 1.5rem;
        font-size: 0.9rem;
        color: var(--ps-muted);
      }
      ::slotted(*) {
        margin-left: auto;
      }
      fieldset {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.6rem;
        min-width: 0;
        margin: 0;
        padding: 0;
        border: 0;
      }
      legend {
        float: left;
        padding: 0;
        margin-right: 0.6rem;
      }
      .segmented {
        display: inline-flex;
        border: 1px solid var(--ps-border);
        border-radius: 999px;
        background: var(--ps-surface);
        overflow: hidden;
      }
      .segmented label {
        position: relative;
      }
      .segmented input {
        position: absolute;
        opacity: 0;
        inset: 0;
        margin: 0;
        cursor: pointer;
      }
      .segmented span {
        display: block;
        padding: 0.2rem 0.7rem;
        color: var(--ps-text);
        font-variant-numeric: tabular-nums;
      }
      .segmented input:checked + span {
        background: var(--ps-accent);
        color: var(--ps-on-accent);
      }
      .segmented input:focus-visible + span {
        outline: 2px solid var(--ps-focus);
        outline-offset: -3px;
      }
      textarea {
        min-height: 9rem;
        padding: 0.8rem 1rem;
        border-radius: 14px;
        font-size: 0.98rem;
        box-shadow: var(--ps-shadow);
      }
      .paste-actions {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        margin-top: 0.5rem;
        color: var(--ps-muted);
        font-size: 0.85rem;
      }
      .toggle {
        display: inline-flex;
        align-items: center;
        gap: 0.45rem;
        cursor: pointer;
        color: var(--ps-text);
      }
      .toggle input {
        width: 1rem;
        height: 1rem;
        accent-color: var(--ps-accent);
      }
      /* Keyboard shortcuts mean nothing on a touch screen. */
      @media (hover: none) and (pointer: coarse) {
        kbd,
        .keys {
          display: none;
        }
      }
      /*
       * Phones: the options fold into one button, so the first screen holds results rather than controls.
       * Everything else that filters or orders results belongs inside .options too.
       */
      @media (max-width: 40rem) {
        .bar {
          flex-wrap: wrap;
          align-items: center;
          margin-top: 0.6rem;
        }
        .options-toggle {
          display: inline-flex;
        }
        .options {
          order: 1;
          flex-basis: 100%;
          padding: 0.75rem;
          border: 1px solid var(--ps-border);
          border-radius: 12px;
          background: var(--ps-surface);
        }
        .options:not(.open) {
          display: none;
        }
        input[type='search'] {
          padding-right: 1rem;
          font-size: 1rem;
        }
        .box kbd {
          display: none;
        }
      }
    `,
  ];

  @property() value = '';
  /** Prefix lengths with a graph, e.g. [32, 64, 128, 256]; full width is offered on its own. */
  /** Prefix lengths the index can search at; none for an index that offers no choice (format 3). */
  @property({ attribute: false }) dimsOptions: number[] = [32, 64, 128, 256];
  @property({ type: Number }) fullDims = 384;
  @property({ attribute: false }) dims: number | null = null;
  @property({ type: Boolean }) adaptive = false;
  @property() mode: SearchMode = 'hybrid';
  /** 'query': one line, searched as typed. 'paper': a pasted title + abstract, searched on request. */
  @property() kind: 'query' | 'paper' = 'query';

  /** Phones only: whether the folded options are shown. */
  @state() private optionsOpen = false;

  @query('#query') private input!: HTMLInputElement | HTMLTextAreaElement;

  focusInput(): void {
    this.input.focus();
    if (this.kind === 'query') this.input.select();
  }

  protected firstUpdated(): void {
    this.input.focus();
  }

  private renderBox() {
    if (this.kind === 'paper') {
      return html`<form @submit=${this.onSubmit}>
        <label for="query" class="visually-hidden">Paste a title and abstract</label>
        <textarea
          id="query"
          name="related"
          .value=${this.value}
          placeholder=${'Paste a title and abstract (the title on the first line), a draft, or any passage…'}
          spellcheck="false"
          dir="auto"
          @input=${this.onInput}
          @keydown=${this.onPasteKeydown}
        ></textarea>
        <div class="paste-actions">
          <button class="button primary" type="submit" data-action="find-related" ?disabled=${!this.value.trim()}>Find related papers</button>
          <span class="keys"><kbd>Ctrl</kbd> + <kbd>Enter</kbd></span>
        </div>
      </form>`;
    }
    return html`<form role="search" @submit=${this.onSubmit}>
        <div class="box">
          <label for="query" class="visually-hidden">Search papers</label>
          <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
            <circle cx="11" cy="11" r="7"></circle>
            <path d="m20 20-3.5-3.5" stroke-linecap="round"></path>
          </svg>
          <input
            id="query"
            type="search"
            name="q"
            .value=${this.value}
            placeholder="What are you looking for?"
            autocomplete="off"
            spellcheck="false"
            enterkeyhint="search"
            dir="auto"
            @input=${this.onInput}
            @keydown=${this.onKeydown}
          />
          <kbd aria-hidden="true">/</kbd>
        </div>
      </form>`;
  }

  protected render() {
    const choices: (number | null)[] = [...this.dimsOptions.filter((d) => d < this.fullDims), null];
    const chosen = this.dims !== null && this.dims >= this.fullDims ? null : this.dims;
    return html`
      ${this.renderBox()}
      <div class="bar">
      <button
        class="button options-toggle"
        aria-expanded=${this.optionsOpen}
        aria-controls="options"
        @click=${() => (this.optionsOpen = !this.optionsOpen)}
      >
        <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
          <path d="M4 6h16M7 12h10M10 18h4" stroke-linecap="round"></path>
        </svg>
        <span>Options<span class="options-now">: ${this.optionsSummary(chosen)}</span></span>
      </button>
      <div class="options ${this.optionsOpen ? 'open' : ''}" id="options">
        <fieldset>
          <legend>Ranking</legend>
          <div class="segmented">
            ${MODE_LABELS.map(
              ([mode, label, title]) => html`<label title=${title}>
                <input type="radio" name="mode" value=${mode} .checked=${mode === this.mode} @change=${() => this.emit('mode-change', { mode })} />
                <span>${label}</span>
              </label>`,
            )}
          </div>
        </fieldset>
        ${this.mode === 'lexical' || this.dimsOptions.length === 0
          ? nothing
          : html`<fieldset>
                <legend>Dimensions</legend>
                <div class="segmented">
                  ${choices.map(
                    (d) => html`<label>
                      <input type="radio" name="dims" value=${d ?? 'full'} .checked=${d === chosen} @change=${() => this.emit('dims-change', { dims: d })} />
                      <span>${d ?? 'full'}</span>
                    </label>`,
                  )}
                </div>
              </fieldset>
              <label class="toggle" title="Shortlist with the low-dimensional prefix, then re-rank with full vectors">
                <input type="checkbox" .checked=${this.adaptive} @change=${this.onAdaptive} />
                Adaptive re-rank
              </label>`}
      </div>
      <slot name="actions"></slot>
      </div>
    `;
  }

  /** What the folded options are set to, on the button that unfolds them. */
  private optionsSummary(dims: number | null): string {
    const mode = MODE_LABELS.find(([m]) => m === this.mode)?.[1] ?? this.mode;
    if (this.mode === 'lexical') return mode;
    return `${mode}, ${dims ?? 'full'}${this.adaptive ? ' re-ranked' : ''}`;
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    this.emit('query-submit', { text: this.input.value });
  }

  private onInput(event: Event): void {
    this.emit('query-input', { text: this.input.value, whole: insertsWholeText(event) });
  }

  private onPasteKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.emit('query-submit', { text: this.input.value });
    }
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      this.emit('enter-results', undefined);
    } else if (event.key === 'Escape' && this.input.value) {
      // Browsers clear a search field on Escape without an input event everywhere; report it.
      event.preventDefault();
      this.input.value = '';
      this.emit('query-input', { text: '', whole: false });
    }
  }

  private onAdaptive(event: Event): void {
    this.emit('adaptive-change', { adaptive: (event.target as HTMLInputElement).checked });
  }

  private emit<K extends keyof SearchBarEvents>(type: K, detail: SearchBarEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-search-bar': SearchBar;
  }
}

