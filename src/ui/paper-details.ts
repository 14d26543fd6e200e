/**
 * What a result card shows beyond title and abstract, as far as the corpus knows it: authors (the first
 * three and "et al.", all of them behind a disclosure button), date, categories, a link to the paper
 * (http(s) only) and "Copy BibTeX". All text goes through Lit's text bindings.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { paperToBibtex } from '../core/export/bibtex';
import type { Paper } from '../core/types';
import { safeUrl } from './safe-url';
import { shared } from './theme';

/** Authors shown before "et al.". */
const SHOWN_AUTHORS = 3;

let nextId = 0;

/** Authors · date · categories, under a card's title. */
@customElement('ps-paper-meta')
export class PaperMeta extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
        margin: 0.25rem 0 0;
        color: var(--ps-muted);
        font-size: 0.85rem;
        line-height: 1.45;
      }
      .link {
        font-size: inherit;
      }
      .sep {
        margin: 0 0.35em;
      }
      .category {
        display: inline-block;
        margin-right: 0.3em;
        padding: 0 0.4em;
        border: 1px solid var(--ps-border);
        border-radius: 6px;
        font-size: 0.78rem;
        font-variant-numeric: tabular-nums;
      }
      .category.primary {
        border-color: var(--ps-border-strong);
        color: var(--ps-text-soft);
      }
    `,
  ];

  @property({ attribute: false }) paper?: Paper;
  /** Set while the whole card is expanded: every author shows. */
  @property({ type: Boolean }) expanded = false;
  @state() private allAuthors = false;
  private readonly authorsId = `authors-${nextId++}`;

  protected willUpdate(changed: Map<string, unknown>): void {
    // Cards are reused for the next result list: a new paper starts folded.
    if (changed.has('paper')) this.allAuthors = false;
  }

  protected render() {
    const paper = this.paper;
    if (!paper) return nothing;
    const parts = [this.renderAuthors(paper.authors ?? []), this.renderDate(paper), this.renderCategories(paper.categories ?? [])].filter(
      (part) => part !== nothing,
    );
    // The slot holds the card's own badge ("Your paper").
    return html`<slot></slot>${parts.map((part, i) => html`${i ? html`<span class="sep" aria-hidden="true">·</span>` : nothing}${part}`)}`;
  }

  private renderAuthors(authors: string[]) {
    if (authors.length === 0) return nothing;
    const folded = authors.length > SHOWN_AUTHORS;
    const open = this.allAuthors || this.expanded;
    const shown = folded && !open ? `${authors.slice(0, SHOWN_AUTHORS).join(', ')} et al.` : authors.join(', ');
    return html`<span data-authors dir="auto"><span id=${this.authorsId}>${shown}</span>${folded && !this.expanded
        ? html` <button
            class="link"
            data-action="authors"
            aria-expanded=${open}
            aria-controls=${this.authorsId}
            @click=${() => (this.allAuthors = !this.allAuthors)}
          >
            ${open ? 'fewer' : `all ${authors.length}`}<span class="visually-hidden"> authors</span>
          </button>`
        : nothing}</span>`;
  }

  private renderDate(paper: Paper) {
    const shown = paper.date ?? paper.published;
    if (!shown) return nothing;
    return paper.published ? html`<time data-date datetime=${paper.published}>${shown}</time>` : html`<span data-date>${shown}</span>`;
  }

  private renderCategories(categories: string[]) {
    if (categories.length === 0) return nothing;
    return html`<span data-categories
      ><span class="visually-hidden">Categories: </span>${categories.map(
        (c, i) => html`<span class="category ${i === 0 ? 'primary' : ''}" title=${i === 0 ? 'Primary category' : ''}>${c}</span>`,
      )}</span
    >`;
  }
}

/** The paper's link and "Copy BibTeX", at the foot of a card. */
@customElement('ps-paper-actions')
export class PaperActions extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.4rem 1rem;
        margin-top: 0.6rem;
        font-size: 0.85rem;
      }
      a {
        color: var(--ps-accent);
        text-underline-offset: 2px;
      }
      .copied {
        color: var(--ps-muted);
      }
      button,
      a {
        white-space: nowrap;
      }
    `,
  ];

  @property({ attribute: false }) paper?: Paper;
  /** What the last copy did, said once in a live region. */
  @state() private copyStatus = '';

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('paper')) this.copyStatus = '';
  }

  protected render() {
    const paper = this.paper;
    if (!paper) return nothing;
    const href = safeUrl(paper.url);
    return html`${href
        ? html`<a data-link href=${href} target="_blank" rel="noopener noreferrer">${linkLabel(paper, href)}<span class="visually-hidden"> (opens in a new tab)</span></a>`
        : nothing}
      <button class="link" data-action="copy-bibtex" @click=${this.copyBibtex}>Copy BibTeX<span class="visually-hidden"> for ${paper.title}</span></button>
      <span class="copied" role="status">${this.copyStatus}</span>`;
  }

  private async copyBibtex(): Promise<void> {
    if (!this.paper) return;
    const entry = paperToBibtex(this.paper);
    try {
      await navigator.clipboard.writeText(entry);
      this.copyStatus = 'Copied';
    } catch (e) {
      // No clipboard (an insecure origin, or permission refused): say so rather than pretend.
      this.copyStatus = `Could not copy (${e instanceof Error ? e.message : String(e)})`;
    }
  }
}

/** "arXiv:0704.0001", "doi:10.…" or the link's host: says where the link goes. */
function linkLabel(paper: Paper, href: string): string {
  if (paper.arxivId && /arxiv\.org$/.test(new URL(href).hostname)) return `arXiv:${paper.arxivId}`;
  if (paper.doi && new URL(href).hostname === 'doi.org') return `doi:${paper.doi}`;
  return new URL(href).hostname.replace(/^www\./, '');
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-paper-meta': PaperMeta;
    'ps-paper-actions': PaperActions;
  }
}
