/**
 * Year range, category and order for the results, offered only as far as the collection has them: the
 * choices come from the engine's facets (years and categories that occur, with counts). A collection
 * without dates or categories (the seed listings) shows no controls at all. Reports what the user picks;
 * the app keeps it in the URL.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { archiveOf } from '../core/filter';
import type { Facets, PaperFilter, SortOrder } from '../protocol';
import { shared } from './theme';

export type FilterBarEvents = {
  'filter-change': CustomEvent<{ filter: PaperFilter }>;
  'sort-change': CustomEvent<{ sort: SortOrder }>;
};

@customElement('ps-filter-bar')
export class FilterBar extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
      }
      .bar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.6rem 1.5rem;
        margin-top: 0.75rem;
        font-size: 0.9rem;
        color: var(--ps-muted);
      }
      .group {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
      }
      select {
        max-width: 16rem;
        padding: 0.2rem 0.4rem;
        border: 1px solid var(--ps-border);
        border-radius: 8px;
        background: var(--ps-surface);
        color: var(--ps-text);
        font: inherit;
        font-variant-numeric: tabular-nums;
      }
      .only {
        color: var(--ps-text);
      }
    `,
  ];

  /** Undefined until the engine has loaded: nothing is shown. */
  @property({ attribute: false }) facets?: Facets;
  @property({ attribute: false }) filter: PaperFilter = {};
  @property() sort: SortOrder = 'relevance';

  protected render() {
    const facets = this.facets;
    if (!facets) return nothing;
    const years = facets.years.length > 0 || this.filter.yearFrom !== undefined || this.filter.yearTo !== undefined;
    const categories = facets.categories.length > 0 || Boolean(this.filter.category);
    if (!years && !categories) return nothing;
    return html`<div class="bar" role="group" aria-label="Filter and order the results">
      ${years ? this.renderYears(facets) : nothing} ${categories ? this.renderCategories(facets) : nothing}
      ${facets.dated > 0 ? this.renderSort() : nothing}
      ${this.filter.yearFrom !== undefined || this.filter.yearTo !== undefined || this.filter.category
        ? html`<button class="link" data-action="clear-filters" @click=${this.clearFilters}>Clear filters</button>`
        : nothing}
    </div>`;
  }

  private renderYears(facets: Facets) {
    const { yearFrom, yearTo } = this.filter;
    // A year named in the link but absent from the collection stays selectable, so the page shows what it searched.
    const known = new Map(facets.years.map((y) => [y.year, y.count]));
    for (const year of [yearFrom, yearTo]) if (year !== undefined && !known.has(year)) known.set(year, 0);
    const years = [...known].sort(([a], [b]) => a - b);
    if (years.length === 1 && yearFrom === undefined && yearTo === undefined) {
      const [[year, count]] = years;
      return html`<span class="group" data-filter="years">Years <span class="only">${year}</span> (all ${count.toLocaleString('en')} dated papers)</span>`;
    }
    const option = (year: number, count: number, selected: boolean) =>
      html`<option value=${year} ?selected=${selected}>${year} (${count.toLocaleString('en')})</option>`;
    return html`<span class="group" data-filter="years">
      <label for="year-from">Years</label>
      <select id="year-from" name="year-from" @change=${(e: Event) => this.onYear('yearFrom', e)}>
        <option value="" ?selected=${yearFrom === undefined}>earliest</option>
        ${years.map(([year, count]) => option(year, count, year === yearFrom))}
      </select>
      <label for="year-to">to</label>
      <select id="year-to" name="year-to" @change=${(e: Event) => this.onYear('yearTo', e)}>
        <option value="" ?selected=${yearTo === undefined}>latest</option>
        ${years.map(([year, count]) => option(year, count, year === yearTo))}
      </select>
    </span>`;
  }

  private renderCategories(facets: Facets) {
    const chosen = this.filter.category ?? '';
    const grouped = new Set(facets.archives.map((a) => a.value));
    const loose = facets.categories.filter((c) => !grouped.has(archiveOf(c.value)));
    const listed = new Set([...facets.categories.map((c) => c.value), ...grouped]);
    return html`<span class="group" data-filter="category">
      <label for="category">Category</label>
      <select id="category" name="category" @change=${this.onCategory}>
        <option value="" ?selected=${!chosen}>all (${facets.categorised.toLocaleString('en')})</option>
        ${chosen && !listed.has(chosen) ? html`<option value=${chosen} selected>${chosen} (0)</option>` : nothing}
        ${loose.map((c) => html`<option value=${c.value} ?selected=${c.value === chosen}>${c.value} (${c.count.toLocaleString('en')})</option>`)}
        ${facets.archives.map(
          (archive) => html`<optgroup label=${archive.value}>
            <option value=${archive.value} ?selected=${archive.value === chosen}>all ${archive.value} (${archive.count.toLocaleString('en')})</option>
            ${facets.categories
              .filter((c) => archiveOf(c.value) === archive.value)
              .map((c) => html`<option value=${c.value} ?selected=${c.value === chosen}>${c.value} (${c.count.toLocaleString('en')})</option>`)}
          </optgroup>`,
        )}
      </select>
    </span>`;
  }

  private renderSort() {
    return html`<span class="group" data-filter="sort">
      <label for="sort">Order</label>
      <select id="sort" name="sort" @change=${(e: Event) => this.emitSort((e.target as HTMLSelectElement).value as SortOrder)}>
        <option value="relevance" ?selected=${this.sort === 'relevance'}>best match first</option>
        <option value="date" ?selected=${this.sort === 'date'}>newest first</option>
      </select>
    </span>`;
  }

  private onYear(which: 'yearFrom' | 'yearTo', event: Event): void {
    const raw = (event.target as HTMLSelectElement).value;
    const next: PaperFilter = { ...this.filter, [which]: raw ? Number(raw) : undefined };
    // Picking a start after the end (or an end before the start) moves the other end along.
    if (next.yearFrom !== undefined && next.yearTo !== undefined && next.yearFrom > next.yearTo) {
      if (which === 'yearFrom') next.yearTo = next.yearFrom;
      else next.yearFrom = next.yearTo;
    }
    this.emitFilter(next);
  }

  private onCategory(event: Event): void {
    const category = (event.target as HTMLSelectElement).value;
    this.emitFilter({ ...this.filter, category: category || undefined });
  }

  /** The button goes with the filters it clears: focus moves to the first control of the bar, not to the page's start. */
  private clearFilters = (): void => {
    this.emitFilter({});
    this.renderRoot.querySelector<HTMLElement>('select')?.focus();
  };

  private emitFilter(filter: PaperFilter): void {
    const clean: PaperFilter = {};
    if (filter.yearFrom !== undefined) clean.yearFrom = filter.yearFrom;
    if (filter.yearTo !== undefined) clean.yearTo = filter.yearTo;
    if (filter.category) clean.category = filter.category;
    this.dispatchEvent(new CustomEvent('filter-change', { detail: { filter: clean }, bubbles: true, composed: true }));
  }

  private emitSort(sort: SortOrder): void {
    this.dispatchEvent(new CustomEvent('sort-change', { detail: { sort }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-filter-bar': FilterBar;
  }
}
