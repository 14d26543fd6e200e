/**
 * Ranked papers as cards, with keyboard navigation: ↑/↓ or k/j move, Enter expands, s finds similar,
 * ←/→ move between a card and its buttons. The whole list is one Tab stop (roving tabindex over the
 * cards and their controls), so Tab leaves the list instead of walking it.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ref } from 'lit/directives/ref.js';
import { relevanceBand } from '../core/relevance/relevance';
import type { RankedHit, ResultHit, SearchMode } from '../protocol';
import { highlightSegments } from './highlight';
import { shared } from './theme';
import './paper-details';

const SNIPPET_CHARS = 260;

export type ResultListEvents = {
  'find-similar': CustomEvent<{ paperId: string }>;
  /** Moving up from the first card: back to the query box. */
  'leave-results': CustomEvent<void>;
};

@customElement('ps-result-list')
export class ResultList extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.75rem;
      }
      article {
        position: relative;
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 0 1.25rem;
        padding: 1rem 1.15rem 1rem 3.1rem;
        border: 1px solid var(--ps-border);
        border-radius: 14px;
        background: var(--ps-surface);
        box-shadow: var(--ps-shadow);
        transition:
          border-color 0.15s,
          box-shadow 0.15s;
      }
      article:hover {
        border-color: var(--ps-border-strong);
      }
      article:focus {
        outline: none;
      }
      article:focus-visible,
      article.current {
        border-color: var(--ps-accent);
        box-shadow:
          0 0 0 3px var(--ps-accent-soft),
          var(--ps-shadow);
      }
      .rank {
        position: absolute;
        left: 1rem;
        top: 1.05rem;
        width: 1.5rem;
        text-align: right;
        color: var(--ps-muted);
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
      }
      .side {
        display: flex;
        flex-direction: column;
        align-items: flex-end;
        justify-content: space-between;
        gap: 0.75rem;
      }
      h2 {
        margin: 0;
        font-size: 1.05rem;
        line-height: 1.35;
        font-weight: 620;
        text-wrap: pretty;
      }
      .score {
        display: inline-flex;
        padding-top: 0.2rem;
        align-items: center;
        gap: 0.4rem;
        color: var(--ps-muted);
        font-size: 0.8rem;
        font-variant-numeric: tabular-nums;
      }
      .meter {
        width: 3rem;
        height: 0.3rem;
        border-radius: 999px;
        background: var(--ps-track);
        overflow: hidden;
      }
      .meter span {
        display: block;
        height: 100%;
        background: var(--ps-accent);
      }
      .yours {
        display: inline-block;
        margin-right: 0.5rem;
        padding: 0 0.45rem;
        border-radius: 999px;
        background: var(--ps-accent-soft);
        color: var(--ps-accent);
        font-size: 0.78rem;
        font-weight: 600;
      }
      .abstract {
        margin: 0.55rem 0 0;
        line-height: 1.55;
        font-size: 0.93rem;
        color: var(--ps-text-soft);
      }
      /* A card whose text is on its way: its title and year now, grey lines where its authors and abstract go. */
      .preview-meta {
        margin: 0.3rem 0 0;
        color: var(--ps-muted);
        font-size: 0.85rem;
      }
      .abstract.waiting span {
        display: block;
        height: 0.7em;
        margin: 0.55em 0;
        border-radius: 4px;
        background: var(--ps-track);
      }
      .abstract.waiting span:last-child {
        width: 60%;
      }
      /* A solid highlight whose text keeps ≥ 4.5:1 contrast in both themes (--ps-on-mark on --ps-mark). */
      mark {
        border-radius: 3px;
        background: var(--ps-mark);
        color: var(--ps-on-mark);
      }
      @media (max-width: 40rem) {
        article {
          grid-template-columns: 1fr;
          padding: 0.75rem 0.85rem 0.75rem 2.4rem;
        }
        .rank {
          left: 0.6rem;
          top: 0.8rem;
        }
        ol {
          gap: 0.5rem;
        }
        h2 {
          font-size: 1rem;
        }
        .abstract {
          margin-top: 0.35rem;
          font-size: 0.9rem;
          line-height: 1.45;
        }
        /* Two grey lines where the two lines of a closed abstract will be. */
        .abstract.waiting span:nth-child(2) {
          display: none;
        }
        /* Two lines of a closed abstract on a phone, so the first screen shows several results. */
        .abstract.closed {
          display: -webkit-box;
          -webkit-box-orient: vertical;
          -webkit-line-clamp: 2;
          overflow: hidden;
        }
        /* Its "more" sits over the end of the second line, where the clamp cut the text. */
        .abstract.closed {
          position: relative;
        }
        .abstract.closed .link {
          position: absolute;
          right: 0;
          bottom: 0;
          padding-left: 0.4em;
          background: var(--ps-surface);
        }
        .side {
          flex-direction: row-reverse;
          align-items: center;
          margin-top: 0.4rem;
        }
      }
      /* A phone wide enough (most are 360-430 px) puts the link and Copy BibTeX on the row of Similar and the
         relevance, one row less per card, so three results fit on the first screen; at 320 px they stack. */
      @media (max-width: 40rem) and (min-width: 22.5rem) {
        article {
          grid-template-columns: 1fr auto;
          column-gap: 0.75rem;
        }
        .main {
          display: contents;
        }
        .main > * {
          grid-column: 1 / -1;
        }
        .main > ps-paper-actions {
          grid-column: 1;
          margin-top: 0.4rem;
        }
        /* Similar and the relevance words side by side where they fit; where a long link leaves too little room
           (arXiv:0704.1724 beside "Possibly relevant" at 390 px), the words go under Similar rather than push the
           card, and with it the page, past the right edge. */
        .side {
          grid-column: 2;
          flex-wrap: wrap;
          gap: 0.6rem;
        }
        .score {
          white-space: nowrap;
          padding-top: 0;
        }
        /* The words say the same as the bar; the row has room for one of them. */
        .meter {
          display: none;
        }
      }
    `,
  ];

  @property({ attribute: false }) hits: ResultHit[] = [];
  /**
   * A search's hits in order before their text (RankedPreview), shown until `hits` come: titles, years and
   * categories, no actions. Set without `hits`.
   */
  @property({ attribute: false }) preview?: RankedHit[];
  /** Whether the preview's text is on its way (grey lines, busy), or will not come (offline, not downloaded). */
  @property({ attribute: false }) waiting = true;
  /** How `hits` were ranked: says what a score is. */
  @property() mode: SearchMode = 'hybrid';
  @state() private expanded = new Set<string>();
  @state() private current = -1;

  /** Moves keyboard focus to the first card (from the query box). */
  focusFirst(): void {
    this.moveTo(0);
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('hits')) {
      this.expanded = new Set();
      this.current = -1;
    }
  }

  protected render() {
    if (this.preview && this.hits.length === 0) {
      // Busy: assistive technology waits for the cards with their text, which replace these in a moment.
      return html`<ol aria-label="Results" aria-busy=${this.waiting ? 'true' : 'false'} data-preview>
        ${this.preview.map((hit, i) => this.renderPreview(hit, i))}
      </ol>`;
    }
    if (this.hits.length === 0) return nothing;
    return html`<p class="visually-hidden" id="list-keys">
        One stop for the whole list: arrow keys up and down move between papers, left and right reach a paper's buttons,
        Enter expands the abstract, s finds similar papers.
      </p>
      <ol aria-label="Results" aria-describedby="list-keys" @keydown=${this.onKeydown}>
        ${this.hits.map((hit, i) => this.renderCard(hit, i))}
      </ol>`;
  }

  protected updated(): void {
    // Controls inside cards (today's, and any a card gains later) are reached with ←/→, not Tab.
    for (const control of this.renderRoot.querySelectorAll<HTMLElement>(CARD_CONTROLS)) control.tabIndex = -1;
  }

  private renderCard({ paper, score, terms, relevance, author }: ResultHit, index: number) {
    const open = this.expanded.has(paper.id);
    const long = paper.abstract.length > SNIPPET_CHARS;
    const text = open || !long ? paper.abstract : snippet(paper.abstract);
    const titleId = `title-${index}`;
    const abstractId = `abstract-${index}`;
    return html`<li>
      <article
        data-paper-id=${paper.id}
        tabindex=${index === Math.max(this.current, 0) ? 0 : -1}
        class=${index === this.current ? 'current' : ''}
        aria-labelledby=${titleId}
        @focusin=${() => (this.current = index)}
      >
        <span class="rank" aria-hidden="true">${index + 1}</span>
        <div class="main">
          <h2 id=${titleId} dir="auto">${highlight(paper.title, terms)}</h2>
          <ps-paper-meta .paper=${paper} ?expanded=${open}
            >${paper.imported ? html`<span class="yours" data-yours>Your paper</span>` : nothing}</ps-paper-meta
          >
          <p class="abstract ${open ? '' : 'closed'}" id=${abstractId} dir="auto">
            ${highlight(text, terms)}
            ${long
              ? html`<button class="link" aria-expanded=${open} aria-controls=${abstractId} @click=${() => this.toggle(paper.id)}>
                  ${open ? 'less' : 'more'}
                </button>`
              : nothing}
          </p>
          <ps-paper-actions .paper=${paper}></ps-paper-actions>
        </div>
        <div class="side">
          ${author
            ? html`<span class="score" data-author>By ${author}</span>`
            : relevance === undefined
              ? this.renderScore(score)
              : renderRelevance(relevance)}
          <button class="button" data-action="similar" @click=${() => this.findSimilar(paper.id)}>
            <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
              <circle cx="7" cy="12" r="3"></circle>
              <circle cx="17" cy="6" r="3"></circle>
              <circle cx="17" cy="18" r="3"></circle>
              <path d="m9.6 10.6 4.8-3.2M9.6 13.4l4.8 3.2"></path>
            </svg>
            Similar<span class="visually-hidden"> papers to ${paper.title}</span>
          </button>
        </div>
      </article>
    </li>`;
  }

  private renderPreview({ title, year, categories }: RankedHit, index: number) {
    const meta = [year, ...categories.slice(0, 3)].filter((part) => part !== undefined).join(' · ');
    return html`<li>
      <article>
        <span class="rank" aria-hidden="true">${index + 1}</span>
        <div class="main">
          <h2 dir="auto">${title}</h2>
          ${meta ? html`<p class="preview-meta">${meta}</p>` : nothing}
          ${this.waiting ? html`<p class="abstract waiting" aria-hidden="true"><span></span><span></span><span></span></p>` : nothing}
        </div>
      </article>
    </li>`;
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target as HTMLElement;
    const onCard = target.tagName === 'ARTICLE';
    const from = this.current;
    switch (event.key) {
      case 'ArrowRight':
      case 'ArrowLeft': {
        // The card, then its controls in order; wraps around.
        const card = target.closest('article');
        if (!card) return;
        event.preventDefault();
        const stops = [card, ...card.querySelectorAll<HTMLElement>(CARD_CONTROLS)];
        const at = stops.indexOf(target);
        stops[(at + (event.key === 'ArrowRight' ? 1 : -1) + stops.length) % stops.length].focus();
        break;
      }
      case 'Escape':
        if (onCard) return;
        event.preventDefault();
        target.closest('article')?.focus();
        break;
      case 'ArrowDown':
      case 'j':
        event.preventDefault();
        this.moveTo(Math.min(from + 1, this.hits.length - 1));
        break;
      case 'ArrowUp':
      case 'k':
        event.preventDefault();
        if (from <= 0) this.dispatchEvent(new CustomEvent('leave-results', { bubbles: true, composed: true }));
        else this.moveTo(from - 1);
        break;
      case 'Enter':
      case 'o':
        // Enter on a button inside the card is that button's click.
        if (!onCard || from < 0) return;
        event.preventDefault();
        this.toggle(this.hits[from].paper.id);
        break;
      case 's':
        if (from < 0) return;
        event.preventDefault();
        this.findSimilar(this.hits[from].paper.id);
        break;
    }
  }

  /** A model with no relevance calibration: the ranking score, which only orders this list. */
  private renderScore(score: number) {
    return html`<span class="score" title=${SCORE_MEANING[this.mode]}>
      <span class="meter" aria-hidden="true"><span ${ref((el) => el && setWidth(el, this.meterWidth(score)))}></span></span>
      <span><span class="visually-hidden">Score </span>${score.toFixed(this.mode === 'semantic' ? 3 : 2)}</span>
    </span>`;
  }

  /**
   * Cosines of related texts under these models sit between about 0.5 and 1, so a semantic bar spans
   * that range; BM25 and fused scores have no fixed scale, so their bars are relative to the best hit.
   */
  private meterWidth(score: number): number {
    const top = this.hits[0]?.score ?? 1;
    const share = this.mode === 'semantic' ? (score - 0.5) / 0.5 : top > 0 ? score / top : 0;
    return Math.round(Math.max(0, Math.min(1, share)) * 100);
  }

  private moveTo(index: number): void {
    if (index < 0 || index >= this.hits.length) return;
    this.current = index;
    this.updateComplete.then(() => {
      const card = this.renderRoot.querySelectorAll('article')[index];
      card?.focus();
      card?.scrollIntoView({ block: 'nearest' });
    });
  }

  private toggle(id: string): void {
    const next = new Set(this.expanded);
    if (!next.delete(id)) next.add(id);
    this.expanded = next;
  }

  private findSimilar(paperId: string): void {
    this.dispatchEvent(new CustomEvent('find-similar', { detail: { paperId }, bubbles: true, composed: true }));
  }
}

/** What a card holds that a click can use: reached from the card with ←/→, never with Tab. */
const CARD_CONTROLS = 'article button, article a[href], article input, article select';

const SCORE_MEANING: Record<SearchMode, string> = {
  semantic: 'Cosine similarity of query and paper',
  lexical: 'BM25 keyword score',
  hybrid: 'Fused keyword and meaning score (compare within this list only)',
};

/**
 * Calibrated relevance as words and a bar on a fixed 0–100% scale (not relative to the top hit), so the
 * same bar means the same in every list and mode.
 */
function renderRelevance(p: number) {
  const { band, words } = relevanceBand(p);
  const percent = Math.round(p * 100);
  return html`<span class="score" data-relevance=${band} title="Estimated chance this paper is relevant: ${percent}% (calibrated on judged queries)">
    <span class="meter" aria-hidden="true"><span ${ref((el) => el && setWidth(el, percent))}></span></span>
    <span>${words}<span class="visually-hidden">, ${percent}% estimated chance of being relevant</span></span>
  </span>`;
}

/** Marks the words whose index term the paper matched (src/ui/highlight.ts). */
function highlight(text: string, terms: string[] | undefined) {
  const segments = highlightSegments(text, terms);
  return segments ? segments.map((part, i) => (i % 2 ? html`<mark>${part}</mark>` : part)) : text;
}

/** Through the CSSOM: the page's CSP (style-src 'self') refuses style attributes. */
function setWidth(element: Element, percent: number): void {
  (element as HTMLElement).style.width = `${percent}%`;
}

/** The abstract's start, cut at a word boundary. */
function snippet(text: string): string {
  const cut = text.slice(0, SNIPPET_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > SNIPPET_CHARS * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, '')}…`;
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-result-list': ResultList;
  }
}
