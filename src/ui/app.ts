/**
 * The page: keeps the view in the URL, runs each worker round trip as a @lit/task Task, and lays out
 * the components. Nothing here searches; the worker does (src/protocol.ts).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { Task, TaskStatus, initialState } from '@lit/task';
import { describeFilter, isActiveFilter } from '../core/filter';
import type { EngineInfo, EngineSettings, EngineStatus, JobProgress, MapReply, PaperFilter, RankedPreview, SearchMode, SearchReply, SortOrder } from '../protocol';
import { EngineClient, EngineError } from './engine-client';
import type { ResultList } from './result-list';
import type { SearchBar } from './search-bar';
import { shared } from './theme';
import type { MapPaper } from './paper-map';
import { formatViewState, readViewState, sameView, type Tab, type ViewState } from './url-state';
import './engine-panel';
import './filter-bar';
import './library-panel';
import './paper-map';
import './load-status';
import './result-list';
import './search-bar';
import './storage-status';
import { formatBytes } from './format-bytes';
import { offlineStatus, type OfflineFailure } from './offline-install';
import { TypeaheadController } from './typeahead';

const RESULTS = 10;
const TYPING_DEBOUNCE_MS = 250;
/**
 * The previous results are dimmed only once a search has run this long. A warm search answers well within it, so its
 * results replace the old ones without a dimmed frame in between; that frame cost a repaint, a new compositing layer
 * and redraws while the worker embedded the query, on the same two cores (docs/BENCHMARKS.md, issue #14).
 */
const DIM_AFTER_MS = 250;
/** The longest a committed view's history entry waits for its search to answer (see commit). */
const HISTORY_AFTER_MS = 300;
const SETTINGS_KEY = 'papersift.settings';
/** Pasted text for "related" lives for the session (too long for the URL). */
const RELATED_KEY = 'papersift.related';
const TAB_NAMES: Record<Tab, string> = { search: 'Search', related: 'Find related', library: 'Your papers' };
const TABS = Object.keys(TAB_NAMES) as Tab[];
const MODE_NAMES: Record<SearchMode, string> = { hybrid: 'hybrid', semantic: 'semantic', lexical: 'keywords' };
const EXAMPLES = [
  'why do language models make things up',
  'embeddings that can be cut to fewer dimensions',
  'how does in-context learning work',
];

interface Shown {
  view: ViewState;
  reply: SearchReply;
}

interface ShownMap {
  reply: MapReply;
  papers: MapPaper[];
}

/** Fired on window after results are on screen: what a benchmark or test needs to know. */
export interface ResultsShownDetail {
  view: ViewState;
  count: number;
  mode: SearchMode;
  /** Keyword results standing in while the model loads. */
  modelPending: boolean;
  timings: SearchReply['timings'] & {
    renderMs: number;
    /** The page's side: the search request sent → its reply (worker round trip included). */
    requestMs: number;
    /** Where the query vector came from (SearchReply.vectorFrom). */
    vector?: SearchReply['vectorFrom'];
  };
}

@customElement('papersift-app')
export class PapersiftApp extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
        max-width: 56rem;
        margin: 0 auto;
        padding: 2.5rem 1.25rem 3rem;
      }
      header {
        margin-bottom: 1.5rem;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 0.6rem;
      }
      .brand svg {
        width: 2rem;
        height: 2rem;
      }
      h1 {
        margin: 0;
        font-size: 1.6rem;
        letter-spacing: -0.02em;
      }
      .tagline {
        margin: 0.35rem 0 0;
        color: var(--ps-muted);
      }
      .collection {
        margin: 0.5rem 0 0;
        font-size: 1.05rem;
      }
      .tabs {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        margin-bottom: 1rem;
        border-bottom: 1px solid var(--ps-border);
      }
      .tabs button:focus-visible {
        outline-offset: -2px;
      }
      .tabs button {
        padding: 0.5rem 0.9rem;
        border: 0;
        border-bottom: 2px solid transparent;
        margin-bottom: -1px;
        background: none;
        color: var(--ps-muted);
        font-size: 0.95rem;
      }
      .tabs button[aria-selected='true'] {
        border-bottom-color: var(--ps-accent);
        color: var(--ps-text);
        font-weight: 600;
      }
      .tabs .count {
        display: inline-block;
        min-width: 1.4em;
        padding: 0 0.35em;
        border-radius: 999px;
        background: var(--ps-accent-soft);
        font-size: 0.8rem;
        text-align: center;
      }
      ps-paper-map {
        margin-top: 0.75rem;
      }
      progress {
        display: block;
        width: 100%;
        margin-top: 0.5rem;
        accent-color: var(--ps-accent);
      }
      ps-load-status,
      .notice {
        margin-top: 1.25rem;
      }
      .notice {
        display: flex;
        gap: 1rem;
        align-items: start;
        justify-content: space-between;
        padding: 0.75rem 1rem;
        border-radius: 12px;
        background: var(--ps-accent-soft);
        font-size: 0.9rem;
      }
      .summary {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0.25rem 1rem;
        justify-content: space-between;
        min-height: 1.5rem;
        margin: 1.5rem 0 0.75rem;
        font-size: 0.9rem;
        color: var(--ps-muted);
      }
      .summary h2 {
        margin: 0;
        font-size: inherit;
        font-weight: inherit;
      }
      .summary h2:focus {
        outline: none;
      }
      .summary h2:focus-visible {
        outline: 2px solid var(--ps-focus);
        outline-offset: 2px;
      }
      .summary strong {
        color: var(--ps-text);
        font-weight: 600;
      }
      .about summary {
        cursor: pointer;
      }
      .about p {
        margin: 0.25rem 0 0;
        font-variant-numeric: tabular-nums;
      }
      /* Keyboard shortcuts mean nothing on a touch screen. */
      @media (hover: none) and (pointer: coarse) {
        .keys {
          display: none;
        }
      }
      @media (max-width: 40rem) {
        :host {
          padding: 1rem 0.75rem 2rem;
        }
        header {
          margin-bottom: 0.75rem;
        }
        .brand svg {
          width: 1.6rem;
          height: 1.6rem;
        }
        h1 {
          font-size: 1.3rem;
        }
        .tagline {
          margin-top: 0.15rem;
          font-size: 0.85rem;
        }
        .tabs {
          margin-bottom: 0.75rem;
        }
        .tabs button {
          padding: 0.4rem 0.6rem;
        }
        .summary {
          margin: 0.75rem 0 0.5rem;
        }
      }
      .message {
        padding: 1rem 1.15rem;
        border: 1px dashed var(--ps-border-strong);
        border-radius: 14px;
        color: var(--ps-text-soft);
      }
      .message.error {
        border-style: solid;
        border-color: var(--ps-danger);
      }
      .examples {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }
      .stale.dim {
        opacity: 0.55;
        transition: opacity 0.2s;
      }
      footer {
        margin-top: 2.5rem;
        padding-top: 1rem;
        border-top: 1px solid var(--ps-border);
      }
      .offline {
        margin: 0.75rem 0 0;
        color: var(--ps-muted);
        font-size: 0.85rem;
      }
    `,
  ];

  /** Set before the element connects to share a client; otherwise it makes its own. */
  client?: EngineClient;

  /** Set by src/main.ts once a service worker holds everything needed to reload offline. */
  @property({ type: Boolean, attribute: false }) offlineReady = false;
  /** Set by src/main.ts when the service worker could not save the offline copy: what to tell the user. */
  @property({ attribute: false }) offlineFailed?: OfflineFailure;
  /** Set by src/main.ts: whether the browser granted persistent storage (undefined: unknown). */
  @property({ attribute: false }) storagePersisted?: boolean;

  @state() private status!: EngineStatus;
  @state() private info?: EngineInfo;
  @state() private view: ViewState = readViewState(location.search);
  @state() private draft = this.view.q;
  @state() private settings: Partial<EngineSettings> = readSettings();
  @state() private renderMs?: number;
  @state() private noticeDismissed = false;
  /** "Make the whole collection available offline" (format-3 collections): bytes so far, done, or why it failed. */
  @state() private wholeOffline?: { done: number; total: number } | { finished: number } | { failed: string };
  /** Set once per page load: '' when the stored index was where the last visit left it. */
  @state() private evictionNotice?: string;
  /** What is in the "related" box, and what was last submitted from it. */
  @state() private relatedDraft = readSession(RELATED_KEY);
  @state() private relatedText = readSession(RELATED_KEY);
  /** Bumped when the user's papers change: results and the map are asked for again. */
  @state() private collectionVersion = 0;
  @state() private mapProgress?: JobProgress;
  /** The pending search's hits before their text (RankedPreview), for the view they were searched for. */
  @state() private ranked?: { view: ViewState; preview: RankedPreview };
  /** A search that ranked its hits but could not read their text offline: their titles stay on screen. */
  @state() private rankedOffline?: { view: ViewState; preview: RankedPreview };

  @query('ps-search-bar') private searchBar!: SearchBar;
  @query('ps-result-list') private resultList?: ResultList;

  /** A paper whose similar list, once shown, takes keyboard focus at its heading. */
  private focusHeadingFor?: string;
  /** True while a run of typing owns the current history entry (replaced, not pushed, per keystroke). */
  private typingEntry = false;
  private typingTimer?: ReturnType<typeof setTimeout>;
  private replyAt = 0;
  /** The last search request's page-side duration (ResultsShownDetail.timings.requestMs). */
  private requestMs = 0;
  private measured?: Shown;
  private unsubscribe?: () => void;

  /** Embeds the query when typing pauses, so the search that follows finds its vector made (src/ui/typeahead.ts). */
  private typeahead = new TypeaheadController(this, {
    prefetch: (text) => void this.engine.request('prefetch', { text }).catch(() => {}),
    enabled: () => this.status.phase === 'ready' && this.view.tab === 'search' && this.view.mode !== 'lexical',
  });

  private engineTask = new Task(this, {
    task: ([settings], { signal }) => this.engine.request(this.info ? 'setOptions' : 'init', settings, signal),
    args: () => [this.settings] as const,
  });

  /** History entries of committed views not written yet, oldest first (see commit). */
  private historyWrites: { mode: 'push' | 'replace'; url: string }[] = [];
  private historyTimer?: ReturnType<typeof setTimeout>;
  /** Whether the stale list on screen is dimmed yet (DIM_AFTER_MS into a search). */
  private dimmed = false;
  private dimTimer?: ReturnType<typeof setTimeout>;

  private searchTask = new Task(this, {
    task: async ([view, relatedText], { signal }): Promise<Shown | typeof initialState> => {
      this.dimLater();
      const options = {
        k: RESULTS,
        mode: view.mode,
        dims: view.dims ?? undefined,
        adaptive: view.adaptive,
        filter: isActiveFilter(view.filter) ? view.filter : undefined,
        sort: view.sort,
      };
      let reply: SearchReply;
      const sentAt = performance.now();
      if (view.tab === 'library') return initialState;
      if (view.tab === 'related') {
        if (!relatedText.trim()) return initialState;
        reply = await this.engine.request('related', { text: relatedText, ...options }, signal);
      } else if (view.similar) reply = await this.engine.request('similar', { paperId: view.similar, ...options }, signal);
      else if (view.q) {
        this.ranked = undefined;
        this.rankedOffline = undefined;
        try {
          reply = await this.engine.request('search', { text: view.q, ...options }, { signal, onRanked: (preview) => (this.ranked = { view, preview }) });
        } catch (e) {
          if (e instanceof EngineError && e.code === 'offline' && this.ranked) this.rankedOffline = this.ranked;
          throw e;
        } finally {
          this.ranked = undefined;
        }
        // The model may have become ready while this keyword answer was on its way (the status listener
        // re-runs searches only for answers shown before): show it, then ask again. Not asked again at once
        // in its place: on a first visit the keyword answer would then never be seen.
        if (reply.modelPending && this.status.phase === 'ready') {
          const shown = reply;
          setTimeout(() => {
            if (this.searchTask.value?.reply === shown) void this.searchTask.run();
          });
        }
      } else return initialState;
      this.replyAt = performance.now();
      this.requestMs = this.replyAt - sentAt;
      if (this.info) this.info = { ...this.info, counters: reply.counters };
      return { view, reply };
    },
    args: () => [this.view, this.relatedText, this.collectionVersion] as const,
    argsEqual: ([a, textA, versionA], [b, textB, versionB]) => sameView(a, b) && textA === textB && versionA === versionB,
  });

  private mapTask = new Task(this, {
    task: async ([show], { signal }): Promise<ShownMap | typeof initialState> => {
      if (!show) return initialState;
      this.mapProgress = undefined;
      const reply = await this.engine.request('map', {}, { signal, onProgress: (p) => (this.mapProgress = p) });
      return { reply, papers: reply.ids.map((id, i) => ({ id, title: reply.titles[i], imported: reply.imported[i] })) };
    },
    args: () => [this.view.map && this.view.tab !== 'library' && this.info !== undefined, this.collectionVersion] as const,
  });

  private get engine(): EngineClient {
    this.client ??= new EngineClient();
    return this.client;
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = this.engine.onStatus((status) => {
      this.status = status;
      // The model failed: the keyword answer on screen is final now, and must not promise results by meaning.
      if (status.phase === 'error' && status.keywordSearch && this.searchTask.value?.reply.modelPending) void this.searchTask.run();
      if (status.phase !== 'ready') return;
      this.info = status.info;
      this.evictionNotice ??= checkStoredIndex(status.info);
      // Keyword answers given while the model loaded are replaced by the search that was asked for; so is a keyword
      // answer that failed, e.g. offline on a large collection, where the keyword hits' text was never downloaded
      // while the full answer's (seen online) was.
      if (this.searchTask.value?.reply.modelPending || this.searchTask.status === TaskStatus.ERROR) void this.searchTask.run();
    });
    window.addEventListener('popstate', this.onPopState);
    window.addEventListener('keydown', this.onGlobalKeydown);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.dimTimer);
    this.writeHistory();
    this.unsubscribe?.();
    window.removeEventListener('popstate', this.onPopState);
    window.removeEventListener('keydown', this.onGlobalKeydown);
  }

  protected willUpdate(): void {
    // The test hook: loading | indexing | ready | error, on the element itself.
    this.dataset.status = this.status.phase;
    // With the history entry, once written (see commit): a new title is another call into the browser.
    if (this.historyWrites.length === 0) this.writeTitle();
  }

  protected updated(): void {
    const shown = this.searchTask.status === TaskStatus.COMPLETE ? this.searchTask.value : undefined;
    if (!shown || shown === this.measured) {
      // No new results to show (no search, an error, or an update of something else): nothing to wait for.
      if (this.searchTask.status !== TaskStatus.PENDING) this.writeHistory();
      return;
    }
    this.measured = shown;
    if (this.focusHeadingFor && shown.view.similar === this.focusHeadingFor) {
      this.focusHeadingFor = undefined;
      // The list the user asked for, from its start: not card 2 of it, with its heading scrolled away.
      const heading = this.renderRoot.querySelector<HTMLElement>('#results-heading');
      heading?.scrollIntoView({ block: 'center' });
      heading?.focus({ preventScroll: true });
    }
    // Render time: from the worker's reply until the cards are in the DOM.
    void (this.resultList?.updateComplete ?? Promise.resolve()).then(() => {
      this.renderMs = performance.now() - this.replyAt;
      const detail: ResultsShownDetail = {
        view: shown.view,
        count: shown.reply.hits.length,
        mode: shown.reply.mode,
        modelPending: shown.reply.modelPending,
        timings: { ...shown.reply.timings, renderMs: this.renderMs, requestMs: this.requestMs, vector: shown.reply.vectorFrom },
      };
      // The URL is the view's by the time anyone hears of its results.
      this.writeHistory();
      window.dispatchEvent(new CustomEvent('papersift:results', { detail }));
    });
  }

  protected render() {
    const info = this.info;
    const offline = offlineStatus(this.offlineReady, this.offlineFailed, info);
    const notice = this.noticeDismissed ? undefined : [info?.notice, this.evictionNotice].filter(Boolean).join(' ') || undefined;
    return html`
      <header>
        <div class="brand">
          <svg viewBox="0 0 32 32" aria-hidden="true">
            <rect x="3" y="3" width="26" height="26" rx="8" fill="var(--ps-accent)"></rect>
            <path d="M10 11h12M10 16h8M10 21h5" stroke="var(--ps-on-accent)" stroke-width="2.4" stroke-linecap="round"></path>
            <circle cx="21.5" cy="20.5" r="3.2" fill="none" stroke="var(--ps-on-accent)" stroke-width="2"></circle>
          </svg>
          <h1>papersift</h1>
        </div>
        ${info?.corpus.name
          ? html`<p class="collection" data-collection><strong dir="auto">${info.corpus.name}</strong> · ${info.corpus.count.toLocaleString('en')} papers</p>`
          : nothing}
        <p class="tagline">
          ${info?.corpus.name ? 'Search them' : `Search ${info ? `${info.corpus.count.toLocaleString('en')} research papers` : 'research papers'}`}
          by meaning — the model and the index run in your browser.
        </p>
      </header>
      <!-- The APG tabs pattern inside a nav landmark: one Tab stop, arrow keys move (and select). -->
      <nav aria-label="Sections">
        <div class="tabs" role="tablist" aria-label="What to do" @keydown=${this.onTabKeydown}>
          ${TABS.map(
            (tab) => html`<button
              role="tab"
              id="tab-${tab}"
              data-tab=${tab}
              aria-selected=${this.view.tab === tab}
              aria-controls="panel"
              tabindex=${this.view.tab === tab ? 0 : -1}
              @click=${() => this.openTab(tab)}
            >
              ${TAB_NAMES[tab]}${tab === 'library' && info?.imported ? html` <span class="count">${info.imported}</span>` : nothing}
            </button>`,
          )}
        </div>
      </nav>
      <main>
        <div role="tabpanel" id="panel" aria-labelledby="tab-${this.view.tab}">
          ${this.view.tab === 'library' ? nothing : this.renderSearchBar()}
          ${this.status.phase === 'ready' ? nothing : html`<ps-load-status .status=${this.status}></ps-load-status>`}
          ${notice
            ? html`<div class="notice" role="status">
                <span>${notice}</span>
                <button class="link" @click=${() => (this.noticeDismissed = true)}>Dismiss</button>
              </div>`
            : nothing}
          ${this.view.tab === 'library' ? this.renderLibrary() : html`${this.renderMap()}${this.renderResults()}`}
        </div>
      </main>
      <footer>
        <ps-engine-panel .info=${info} @settings-change=${this.onSettingsChange}></ps-engine-panel>
        ${info
          ? this.engineTask.render({
              error: (e) => html`<p class="message error" role="alert">Could not apply the settings: ${errorText(e)}</p>`,
            })
          : nothing}
        ${offline ? html`<p class="offline" data-offline=${offline.state} role=${offline.state === 'ready' ? nothing : 'status'}>${offline.text}</p>` : nothing}
        ${info?.wholeCollection ? this.renderWholeOffline(info.wholeCollection) : nothing}
        <ps-storage-status
          .persisted=${this.storagePersisted}
          .engineReady=${this.status.phase === 'ready'}
          .offlineReady=${this.offlineReady}
          .storageRefused=${offline?.storageRefused ?? false}
        ></ps-storage-status>
      </footer>
    `;
  }

  /**
   * A format-3 collection keeps only what searches have fetched; this offers the rest, with what it will fetch
   * first and the bytes so far while it downloads. What an earlier visit kept counts: a collection kept whole is
   * not offered again.
   */
  private renderWholeOffline(whole: NonNullable<EngineInfo['wholeCollection']>) {
    const state = this.wholeOffline;
    const kept = whole.kept;
    const finished = state && 'finished' in state ? state.finished : !state && kept && kept.files >= whole.files ? whole.bytes : undefined;
    if (finished !== undefined) {
      return html`<p class="offline" data-offline-all="done">The whole collection (${formatBytes(finished)}) is on this device: every search works offline.</p>`;
    }
    if (state && 'done' in state) {
      return html`<p class="offline" data-offline-all="running" role="status">
        <progress max=${state.total} value=${state.done}></progress> Keeping the collection on this device: ${formatBytes(state.done)} of
        ${formatBytes(state.total)}…
      </p>`;
    }
    return html`<p class="offline" data-offline-all="offer">
      <button class="button" data-action="offline-all" @click=${() => void this.makeWholeOffline()}>
        Make the whole collection available offline (${formatBytes(whole.bytes - (kept?.bytes ?? 0))})
      </button>
      ${kept && kept.bytes > 0 ? html`<span data-offline-kept>${formatBytes(kept.bytes)} of ${formatBytes(whole.bytes)} already on this device.</span>` : nothing}
      ${state && 'failed' in state ? html`<span role="alert">It stopped: ${state.failed}</span>` : nothing}
    </p>`;
  }

  private async makeWholeOffline(): Promise<void> {
    this.wholeOffline = { done: 0, total: this.info?.wholeCollection?.bytes ?? 0 };
    try {
      const done = await this.engine.request('makeAvailableOffline', {}, { onProgress: (p) => (this.wholeOffline = { done: p.done, total: p.total }) });
      this.wholeOffline = { finished: done.bytes };
    } catch (e) {
      this.wholeOffline = { failed: errorText(e) };
    }
  }

  private renderLibrary() {
    return html`<ps-library-panel
      .client=${this.engine}
      .ready=${this.status.phase === 'ready'}
      @collection-changed=${this.onCollectionChanged}
      @find-similar=${(e: CustomEvent<{ paperId: string }>) => this.showSimilar(e.detail.paperId)}
    ></ps-library-panel>`;
  }

  private renderMapToggle() {
    return html`<button
      slot="actions"
      class="button"
      data-action="toggle-map"
      aria-pressed=${this.view.map}
      @click=${() => this.commit({ ...this.view, map: !this.view.map }, 'push')}
    >
      ${this.view.map ? 'Hide the map' : 'Show the map'}
    </button>`;
  }

  private renderMap() {
    if (!this.view.map) return nothing;
    const shown = this.searchTask.value;
    const highlighted = shown ? shown.reply.hits.map((hit) => hit.paper.id) : [];
    const progress = this.mapProgress;
    return this.mapTask.render({
      pending: () => html`<div class="message" role="status" data-map="pending">
        ${progress ? progress.message : 'Preparing the map…'}
        ${progress ? html`<progress max=${progress.total} .value=${progress.done}></progress>` : html`<progress></progress>`}
      </div>`,
      complete: (map) =>
        html`${map.reply.sampled
            ? html`<p class="message" role="note" data-map="sample">
                The map shows a sample of ${map.reply.sampled.shown.toLocaleString('en')} of the
                ${map.reply.sampled.of.toLocaleString('en')} papers, spread over the whole collection${map.papers.some((p) => p.imported) ? ', and all of your papers' : ''};
                results outside the sample are not marked on it.
              </p>`
            : nothing}<ps-paper-map
          role="region"
          aria-label="Map of the papers"
          .points=${map.reply.points}
          .papers=${map.papers}
          .highlighted=${highlighted}
          .selected=${shown?.reply.source?.id || undefined}
          @open-paper=${(e: CustomEvent<{ paperId: string }>) => this.commit({ ...this.view, tab: 'search', q: '', similar: e.detail.paperId }, 'push')}
        ></ps-paper-map>`,
      error: (e) =>
        e instanceof EngineError && e.code === 'unavailable'
          ? html`<p class="message" role="status" data-map="unavailable">${errorText(e)}</p>`
          : html`<p class="message error" role="alert">The map could not be drawn: ${errorText(e)}</p>`,
    });
  }

  private renderSearchBar() {
    const info = this.info;
    const related = this.view.tab === 'related';
    return html`
      <ps-search-bar
        .value=${related ? this.relatedDraft : this.draft}
        .kind=${related ? 'paper' : 'query'}
        .dimsOptions=${info?.indexDims ?? [32, 64, 128, 256]}
        .fullDims=${info?.dims ?? 384}
        .dims=${this.view.dims}
        .adaptive=${this.view.adaptive}
        .mode=${this.view.mode}
        @query-input=${this.onQueryInput}
        @query-submit=${this.onQuerySubmit}
        @dims-change=${(e: CustomEvent<{ dims: number | null }>) => this.commit({ ...this.view, dims: e.detail.dims }, 'push')}
        @adaptive-change=${(e: CustomEvent<{ adaptive: boolean }>) => this.commit({ ...this.view, adaptive: e.detail.adaptive }, 'push')}
        @mode-change=${(e: CustomEvent<{ mode: SearchMode }>) => this.commit({ ...this.view, mode: e.detail.mode }, 'push')}
        @enter-results=${() => this.resultList?.focusFirst()}
        >${this.renderMapToggle()}</ps-search-bar
      >
      <ps-filter-bar
        .facets=${info?.facets}
        .filter=${this.view.filter}
        .sort=${this.view.sort}
        @filter-change=${(e: CustomEvent<{ filter: PaperFilter }>) => this.commit({ ...this.view, filter: e.detail.filter }, 'push')}
        @sort-change=${(e: CustomEvent<{ sort: SortOrder }>) => this.commit({ ...this.view, sort: e.detail.sort }, 'push')}
      ></ps-filter-bar>
    `;
  }

  private renderResults() {
    // The load panel already says why nothing could be searched.
    if (this.status.phase === 'error' && this.searchTask.status !== TaskStatus.COMPLETE) return nothing;
    const list = (shown: Shown, stale: boolean) => html`
      <div class="summary">${this.renderSummary(shown, stale)}</div>
      <ps-result-list
        class=${stale ? (this.dimmed ? 'stale dim' : 'stale') : ''}
        .hits=${shown.reply.hits}
        .mode=${shown.reply.mode}
        aria-labelledby="results-heading"
        @find-similar=${(e: CustomEvent<{ paperId: string }>) => this.showSimilar(e.detail.paperId)}
        @leave-results=${() => this.searchBar.focusInput()}
      ></ps-result-list>
    `;
    return this.searchTask.render({
      initial: () => this.renderIntro(),
      pending: () => {
        const ranked = this.ranked && sameView(this.ranked.view, this.view) ? this.ranked : undefined;
        if (ranked) return this.renderRanked(ranked.view, ranked.preview);
        const previous = this.searchTask.value;
        const waiting = this.status.phase !== 'ready' ? 'Waiting for the search engine to load…' : 'Searching…';
        return previous
          ? list(previous, true)
          : html`<div class="summary"><div aria-live="polite"><span>${waiting}</span></div></div>`;
      },
      complete: (shown) => list(shown, false),
      error: (e) => {
        const offline = this.rankedOffline && sameView(this.rankedOffline.view, this.view) ? this.rankedOffline : undefined;
        return offline ? this.renderRanked(offline.view, offline.preview, true) : this.renderFailure(e);
      },
    });
  }

  private renderFailure(e: unknown) {
    return html`<div class="summary"></div>
        <p class="message ${isInputProblem(e) ? '' : 'error'}" role=${isInputProblem(e) ? 'status' : 'alert'}>
          ${isInputProblem(e) ? errorText(e) : `Search failed: ${errorText(e)}`}
        </p>`;
  }

  /**
   * A search's hits in order while their text is read: the titles now, the full cards when the reply comes. Offline,
   * when the text was never downloaded, the titles stay, with what is missing and how to get it.
   */
  private renderRanked(view: ViewState, preview: RankedPreview, offline = false) {
    return html`
      <div class="summary">
        <div aria-live="polite">
          <h2 id="results-heading" tabindex="-1">
            <strong>${preview.hits.length}</strong> results for <strong dir="auto">“${shorten(view.q.trim(), 80)}”</strong>
          </h2>
          ${offline ? nothing : html`<span data-ranked>Reading their abstracts…</span>`}
        </div>
      </div>
      ${offline
        ? html`<p class="message" role="status" data-offline-titles>
            Only their titles are on this device: their abstracts have not been downloaded to this device, and the network
            cannot be reached. Connect and search again; to search the whole collection without a connection, use “Make the
            whole collection available offline” at the bottom of the page while online.
          </p>`
        : nothing}
      <ps-result-list .preview=${preview.hits} .waiting=${!offline} aria-labelledby="results-heading"></ps-result-list>
    `;
  }

  private renderSummary({ view, reply }: Shown, stale: boolean) {
    const t = reply.timings;
    const timing = [
      reply.mode === 'lexical' ? nothing : html`embed ${ms(t.embedMs)}`,
      t.rankedMs !== undefined ? html`titles ${ms(t.rankedMs)}` : nothing,
      html`search ${ms(t.searchMs)}`,
      this.renderMs !== undefined && !stale ? html`render ${ms(this.renderMs)}` : nothing,
    ].filter((part) => part !== nothing);
    const how =
      reply.mode === 'lexical'
        ? 'keywords'
        : `${MODE_NAMES[reply.mode]}, ${reply.dims} dims${reply.adaptive ? ' re-ranked at full' : ''}`;
    // The line under the heading: its parts one after another, a separator between two (never before the first).
    const notes = [
      keywordCount(reply),
      reply.matching !== undefined && isActiveFilter(view.filter)
        ? html`<span data-scope>Among the <strong>${reply.matching.toLocaleString('en')}</strong> papers of ${describeFilter(view.filter)}</span>`
        : nothing,
      reply.sort === 'date' ? html`<span data-order>The best matches, newest first</span>` : nothing,
      reply.modelPending ? html`<span>Keyword matches for now: results by meaning follow when the model has loaded.</span>` : nothing,
      reply.truncated
        ? html`<span>${view.tab === 'related' ? 'The text was longer than an abstract may be; only its start was used.' : 'Only the first 10,000 characters of the query were used.'}</span>`
        : nothing,
    ].filter((part) => part !== nothing);
    // Only what was found is announced; how it was ranked and timed waits behind "About this search".
    return html`
      <div aria-live="polite">
        <h2 id="results-heading" tabindex="-1">
        ${reply.noCloseMatch ? html`<strong data-no-match>No close matches</strong> — ` : nothing}
        ${view.tab === 'related'
          ? html`${countOf(reply)} papers related to
              <strong dir="auto">“${shorten(reply.source?.title || reply.source?.abstract || '', 80)}”</strong>`
          : reply.source
          ? html`${countOf(reply)} papers similar to <strong dir="auto">${reply.source.title}</strong>`
          : reply.noCloseMatch && reply.hits.length === 0
          ? html`no paper to show for <strong dir="auto">“${shorten(view.q.trim(), 80)}”</strong>`
          : reply.noCloseMatch
          ? html`the ${countOf(reply)} nearest papers to <strong dir="auto">“${shorten(view.q.trim(), 80)}”</strong>`
          : html`${countOf(reply)} results for <strong dir="auto">“${shorten(view.q.trim(), 80)}”</strong>`}
        </h2>
        <span>${notes.map((part, i) => html`${i ? ' · ' : ''}${part}`)}</span>${searchNotes(view.q, reply)}
      </div>
      <details class="about">
        <summary>About this search</summary>
        <p>Ranked by ${how} · ${timing.map((part, i) => html`${i ? ' · ' : ''}${part}`)}</p>
      </details>
    `;
  }

  private renderIntro() {
    if (this.view.tab === 'related') {
      return html`<div class="summary"></div>
        <div class="message">
          Paste the title and abstract of a paper — a draft of your own, or one you are reading — and papersift lists the
          papers closest to it, compared the way it compares the papers it holds.
        </div>`;
    }
    return html`<div class="summary"></div>
      <div class="message">
        Describe a topic in your own words: the engine compares meanings as well as keywords.
        <span class="keys">
          <kbd>/</kbd> focuses the box, <kbd>↓</kbd> <kbd>↑</kbd> move through results, <kbd>Enter</kbd> expands one,
          <kbd>s</kbd> finds similar papers.
        </span>
        <div class="examples">
          ${EXAMPLES.map((text) => html`<button class="button" @click=${() => this.submitQuery(text)}>${text}</button>`)}
        </div>
      </div>`;
  }

  private onQueryInput = (event: CustomEvent<{ text: string; whole: boolean }>): void => {
    if (this.view.tab === 'related') {
      // Pasted text is searched on request (the button or Ctrl+Enter), not per keystroke.
      this.relatedDraft = event.detail.text;
      writeSession(RELATED_KEY, this.relatedDraft);
      return;
    }
    this.draft = event.detail.text;
    this.typeahead.input(this.draft, { whole: event.detail.whole });
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      this.commit({ ...this.view, q: this.draft, similar: '' }, this.typingEntry ? 'replace' : 'push');
      this.typingEntry = true;
    }, TYPING_DEBOUNCE_MS);
  };

  private onQuerySubmit = (event: CustomEvent<{ text: string }>): void => this.submitQuery(event.detail.text);

  /** Enter, or an example: search now. */
  private submitQuery(text: string): void {
    if (this.view.tab === 'related') {
      this.relatedDraft = text;
      writeSession(RELATED_KEY, text);
      if (text === this.relatedText) void this.searchTask.run();
      else this.relatedText = text;
      return;
    }
    clearTimeout(this.typingTimer);
    this.typeahead.cancel();
    this.draft = text;
    const next = { ...this.view, q: text, similar: '' };
    // Enter on what is already shown searches again (e.g. after an error); while the search for it is on its way
    // (typing paused, then Enter), that answer is the one asked for: restarting would queue behind it.
    if (sameView(next, this.view)) {
      if (this.searchTask.status !== TaskStatus.PENDING) void this.searchTask.run();
    } else this.commit(next, this.typingEntry ? 'replace' : 'push');
    this.typingEntry = false;
  }

  /** A search started: the list it replaces is dimmed if the search is still running DIM_AFTER_MS from now. */
  private dimLater(): void {
    clearTimeout(this.dimTimer);
    this.dimmed = false;
    this.dimTimer = setTimeout(() => {
      if (this.searchTask.status !== TaskStatus.PENDING) return;
      this.dimmed = true;
      this.requestUpdate();
    }, DIM_AFTER_MS);
  }

  /**
   * Similar papers, asked for from a list: focus goes to the new list's heading once it is shown. They are shown in
   * the Search tab, as a link to them opens (url-state.ts): from Find related's list, a view with the related tab
   * and `similar` ran the related search again, and Similar seemed to do nothing.
   */
  private showSimilar(paperId: string): void {
    this.focusHeadingFor = paperId;
    this.commit({ ...this.view, tab: 'search', q: '', similar: paperId }, 'push');
  }

  private openTab(tab: Tab): void {
    this.commit({ ...this.view, tab, similar: tab === 'search' ? this.view.similar : '' }, 'push');
  }

  /** ←/→ (and Home/End) move between tabs and open the one they reach. */
  private onTabKeydown = (event: KeyboardEvent): void => {
    const at = TABS.indexOf(this.view.tab);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 }[event.key];
    if (next === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    const tab = TABS[(next + TABS.length) % TABS.length];
    this.openTab(tab);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${tab}`)?.focus());
  };

  private onCollectionChanged = (event: CustomEvent<{ imported: number }>): void => {
    this.collectionVersion++;
    if (this.info) this.info = { ...this.info, imported: event.detail.imported };
    // The footer's counts come with search replies, and Your papers runs none: an import's embeddings would show
    // as "0 papers embedded" beside its report until the next search.
    void this.engine
      .request('stats', {})
      .then(({ counters }) => {
        if (this.info) this.info = { ...this.info, counters };
      })
      .catch(() => {});
  };

  private onSettingsChange = (event: CustomEvent<Partial<EngineSettings>>): void => {
    this.settings = { ...this.settings, ...event.detail };
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(this.settings));
    } catch {
      // Private modes may refuse storage; the setting still holds for this visit.
    }
  };

  private onPopState = (): void => {
    // Entries not written yet belong to views the browser has just navigated away from.
    clearTimeout(this.historyTimer);
    this.historyTimer = undefined;
    this.historyWrites = [];
    clearTimeout(this.typingTimer);
    this.typeahead.cancel();
    this.typingEntry = false;
    this.view = readViewState(location.search);
    this.draft = this.view.q;
  };

  private onGlobalKeydown = (event: KeyboardEvent): void => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.composedPath()[0] as HTMLElement | undefined;
    if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
    event.preventDefault();
    this.searchBar.focusInput();
  };

  /** Makes `view` current: the URL first (push = a new Back step), then the state that follows it. */
  private commit(view: ViewState, mode: 'push' | 'replace'): void {
    if (sameView(view, this.view)) return;
    if (view.similar) this.draft = '';
    const url = formatViewState(view) || location.pathname;
    if (mode === 'push') this.typingEntry = false; // typing pushes its first step itself, then replaces
    this.view = view;
    // Written once the search this view asks for has answered (updated()), or HISTORY_AFTER_MS from now at the latest:
    // a history entry costs the page ~3 ms and the browser ~10 ms (here), which the worker embedding the query on the
    // same two cores need not share.
    this.historyWrites.push({ mode, url });
    this.historyTimer ??= setTimeout(() => this.writeHistory(), HISTORY_AFTER_MS);
  }

  /** Writes the history entries of the views committed since the last write, in order, and the current view's title. */
  private writeHistory(): void {
    clearTimeout(this.historyTimer);
    this.historyTimer = undefined;
    if (this.historyWrites.length === 0) return;
    for (const { mode, url } of this.historyWrites.splice(0)) {
      if (mode === 'push') history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    }
    this.writeTitle();
  }

  private writeTitle(): void {
    const q = this.view.q.trim();
    const title = q ? `${q.slice(0, 60)} · papersift` : 'papersift';
    if (document.title !== title) document.title = title;
  }
}

const STORED_INDEX_KEY = 'papersift.storedIndex';

/**
 * The worker cannot tell a first visit from one whose IndexedDB the browser cleared (to free space, or
 * with the site's data): both find nothing stored. The page remembers which index it last had stored;
 * the same index downloaded again means the stored copy was lost, and the user is told.
 */
function checkStoredIndex(info: EngineInfo): string {
  const mark = `${info.settings.modelId}/${info.activeDtype}/${info.corpus.corpusHash}/${info.corpus.createdAt}`;
  try {
    // Storing it failed (the loader's notice says so): the next visit's download is no sign of eviction.
    if (info.indexKept === false) {
      localStorage.removeItem(STORED_INDEX_KEY);
      return '';
    }
    const previous = localStorage.getItem(STORED_INDEX_KEY);
    localStorage.setItem(STORED_INDEX_KEY, mark);
    if (info.source === 'network' && previous === mark) {
      return 'This browser had cleared the stored search index (to free space, or with the site\'s data), so it was downloaded and stored again.';
    }
  } catch {
    // No localStorage (private modes): nothing to compare with.
  }
  return '';
}

function readSession(key: string): string {
  try {
    return sessionStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function writeSession(key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // Storage refused (private mode, quota): the text still works for this page.
  }
}

function readSettings(): Partial<EngineSettings> {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}');
    return saved && typeof saved === 'object' ? (saved as Partial<EngineSettings>) : {};
  } catch {
    return {};
  }
}

/** Problems with what was typed are guidance, not failures. */
/** Errors the visitor can act on, shown as a calm status (its message says what to do), not as a failure. */
function isInputProblem(e: unknown): boolean {
  return (
    e instanceof EngineError &&
    (e.code === 'empty-query' || e.code === 'unknown-paper' || e.code === 'invalid-option' || e.code === 'no-match' || e.code === 'unavailable' || e.code === 'offline')
  );
}

function errorText(e: unknown): string {
  if (e instanceof EngineError) {
    switch (e.code) {
      case 'empty-query':
        return 'Type a few words to search for.';
      case 'unknown-paper':
        return 'That paper is not in this collection; the link may come from another version of the index.';
      case 'invalid-option':
        return e.message;
      case 'no-match':
        return `${e.message}. Widen the years or choose another category.`;
      default:
        return e.message;
    }
  }
  return e instanceof Error ? e.message : String(e);
}

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

/** What the engine did with the words: a correction, an author's papers first, or why a name finds nothing. */
function searchNotes(typed: string, reply: SearchReply) {
  if (reply.source) return nothing;
  // An author's name is rarely a word of the papers' text, so it may come with a correction too: both are said, or the
  // keyword count ("the corrected words") and the keyword hits after the author's papers would go unexplained.
  const author = reply.authorMatches
    ? html`<br /><span data-author-note
          >${reply.authorMatches.papers === 1 ? 'The paper' : `The ${reply.authorMatches.papers} papers`} by ${reply.authorMatches.names.join(', ')}
          first.</span
        >`
    : nothing;
  const correction = reply.correctedQuery
    ? html`<br /><span data-correction>No paper has the words “${shorten(typed.trim(), 60)}”: showing keyword matches for
          “<strong dir="auto">${shorten(reply.correctedQuery, 60)}</strong>”.</span>`
    : nothing;
  if (author !== nothing || correction !== nothing) return html`${author}${correction}`;
  // A short query that matches nothing well may be a name: say why names cannot work here.
  if (!reply.hasAuthors && (reply.noCloseMatch || reply.keywordMatches?.any === 0) && typed.trim().split(/\s+/).length <= 3) {
    return html`<br /><span data-no-authors>This collection lists no authors, so a name finds only papers that mention it.</span>`;
  }
  return nothing;
}

/** How many cards are shown: the list stops at k, so this is not a count of matches (keywordCount is). */
function countOf(reply: SearchReply) {
  return html`<strong>${reply.hits.length}</strong>`;
}

/**
 * The real number of keyword matches for a typed query, which the cap on the list hides. A corrected query's
 * matches are counted for the corrected words: "your words" would claim papers with words no paper has.
 */
function keywordCount(reply: SearchReply) {
  const matches = reply.keywordMatches;
  if (!matches) return nothing;
  const papers = (n: number) => `${n.toLocaleString('en')} ${n === 1 ? 'paper contains' : 'papers contain'}`;
  const words = reply.correctedQuery ? 'the corrected words' : 'your words';
  if (matches.all > 0) return html`<span data-keyword-count>${papers(matches.all)} all ${words}</span>`;
  if (matches.any > 0) return html`<span data-keyword-count>${papers(matches.any)} some of ${words}, none all</span>`;
  return html`<span data-keyword-count>no paper contains ${words}</span>`;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

declare global {
  interface HTMLElementTagNameMap {
    'papersift-app': PapersiftApp;
  }
}
