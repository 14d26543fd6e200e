/**
 * "Your papers": import (BibTeX, JSON / JSON lines, a pasted list, or a collection file), the report of
 * what was added, skipped or unreadable, the list of the user's papers with removal, and export.
 * Every round trip to the worker is a @lit/task Task; this component never parses or embeds itself.
 *
 * Everything shown from a file goes through Lit text bindings, so a title like `<img onerror=…>` is
 * text; links are kept only when they are http(s).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { Task, TaskStatus } from '@lit/task';
import type { Paper } from '../core/types';
import type { ImportReply, JobProgress } from '../protocol';
import type { EngineClient } from './engine-client';
import { EngineError } from './engine-client';
import { safeUrl } from './safe-url';
import { shared } from './theme';

/** The first bytes of a collection file (src/core/import/collection-file.ts). */
const COLLECTION_MAGIC = 'PSCOLL\r\n';
/** Larger than any reading list; a bigger file is most likely the wrong one. */
const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
const PROBLEMS_SHOWN = 50;

type ImportJob =
  /** A file's bytes (the worker detects their encoding and format) or pasted text. */
  | { kind: 'text'; text: string; fileName: string }
  | { kind: 'file'; bytes: Uint8Array; fileName: string }
  | { kind: 'collection'; bytes: Uint8Array; fileName: string; reembed: boolean }
  /** Refused before reading, e.g. too large: shown like any failed import. */
  | { kind: 'refused'; reason: string };

export type LibraryPanelEvents = {
  /** The collection changed: the app refreshes counts and results. */
  'collection-changed': CustomEvent<{ imported: number }>;
  'find-similar': CustomEvent<{ paperId: string }>;
};

@customElement('ps-library-panel')
export class LibraryPanel extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
      }
      section + section {
        margin-top: 1.75rem;
      }
      h2 {
        margin: 0 0 0.6rem;
        font-size: 1.05rem;
      }
      .hint {
        margin: 0 0 0.75rem;
        color: var(--ps-muted);
        font-size: 0.9rem;
      }
      .drop {
        display: grid;
        gap: 0.6rem;
        padding: 1rem 1.15rem;
        border: 1px dashed var(--ps-border-strong);
        border-radius: 14px;
        background: var(--ps-surface);
      }
      .drop.over {
        border-color: var(--ps-accent);
        background: var(--ps-accent-soft);
      }
      textarea {
        min-height: 7rem;
        padding: 0.6rem 0.75rem;
        border-radius: 10px;
        font-size: 0.92rem;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
      }
      .row.spaced {
        margin-top: 0.6rem;
      }
      .row.heading {
        justify-content: space-between;
        margin-bottom: 0.6rem;
      }
      .row.heading h2 {
        margin: 0;
      }
      progress {
        width: 100%;
        accent-color: var(--ps-accent);
      }
      .report {
        margin-top: 0.85rem;
        padding: 0.75rem 1rem;
        border-radius: 12px;
        background: var(--ps-accent-soft);
        font-size: 0.9rem;
      }
      .report.error {
        background: transparent;
        border: 1px solid var(--ps-danger);
      }
      .report ul {
        margin: 0.4rem 0 0;
        padding-left: 1.2rem;
      }
      ol.papers {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      ol.papers li {
        display: flex;
        gap: 1rem;
        align-items: start;
        justify-content: space-between;
        padding: 0.65rem 0.9rem;
        border: 1px solid var(--ps-border);
        border-radius: 12px;
        background: var(--ps-surface);
      }
      .title {
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .title a {
        color: inherit;
        text-decoration-color: var(--ps-accent);
        text-underline-offset: 2px;
      }
      .meta {
        color: var(--ps-muted);
        font-size: 0.85rem;
      }
      .actions {
        display: flex;
        gap: 0.4rem;
        flex-shrink: 0;
      }
    `,
  ];

  @property({ attribute: false }) client?: EngineClient;
  /** The model has loaded (importing text embeds it). */
  @property({ type: Boolean }) ready = false;

  @state() private progress?: JobProgress;
  @state() private pasted = '';
  @state() private dragging = false;
  /** A collection file made with another model, held until the user asks to embed it again. */
  @state() private staleCollection?: { bytes: Uint8Array; fileName: string; reason: string };

  private papersTask = new Task(this, {
    task: async ([client], { signal }) => (client ? (await client.request('listImported', {}, signal)).papers : []),
    args: () => [this.client] as const,
  });

  private importTask = new Task(this, {
    task: async ([job]: readonly [ImportJob], { signal }) => {
      if (job.kind === 'refused') throw new Error(job.reason);
      const client = this.requireClient();
      this.progress = undefined;
      const onProgress = (progress: JobProgress) => (this.progress = progress);
      try {
        return job.kind === 'text'
          ? await client.request('importPapers', { text: job.text, fileName: job.fileName }, { signal, onProgress })
          : job.kind === 'file'
            ? await client.request('importPapers', { bytes: job.bytes, fileName: job.fileName }, { signal, onProgress })
            : await client.request('importCollection', { bytes: job.bytes, fileName: job.fileName, reembed: job.reembed }, { signal, onProgress });
      } catch (e) {
        if (job.kind === 'collection' && !job.reembed && e instanceof EngineError && e.code === 'artifacts-stale') {
          this.staleCollection = { bytes: job.bytes, fileName: job.fileName, reason: e.message };
        }
        throw e;
      } finally {
        this.progress = undefined;
      }
    },
    autoRun: false,
    onComplete: (reply) => {
      if (reply.added.length > 0) this.changed();
    },
  });

  private removeTask = new Task(this, {
    task: async ([ids]: readonly [string[]], { signal }) => this.requireClient().request('removePapers', { ids }, signal),
    autoRun: false,
    onComplete: (reply) => {
      if (reply.removed.length > 0) this.changed(this.removedAt);
    },
  });

  /** The list position of the paper being removed: keyboard focus goes to the paper now there once the list is shown again. */
  private removedAt?: number;

  private exportTask = new Task(this, {
    task: async (_args: readonly [], { signal }) => {
      const reply = await this.requireClient().request('exportCollection', {}, signal);
      download(reply.bytes, reply.fileName);
      return reply;
    },
    autoRun: false,
  });

  protected render() {
    const busy = this.importTask.status === TaskStatus.PENDING;
    return html`
      <section>
        <h2>Add your papers</h2>
        <p class="hint">
          A BibTeX file (title and abstract fields), a JSON or JSON-lines file of <code>{title, abstract, authors?, date?, url?}</code>,
          a collection file exported from papersift, or a list pasted below. Everything stays in this browser.
        </p>
        <div
          class="drop ${this.dragging ? 'over' : ''}"
          @dragover=${this.onDragOver}
          @dragleave=${() => (this.dragging = false)}
          @drop=${this.onDrop}
        >
          <div class="row">
            <label class="button">
              Choose a file…
              <input
                class="visually-hidden"
                type="file"
                data-action="import-file"
                accept=".bib,.bibtex,.json,.jsonl,.ndjson,.txt,.pscoll"
                ?disabled=${busy || !this.ready}
                @change=${this.onFileChosen}
              />
            </label>
            <span class="meta">or drop one here</span>
          </div>
          <label class="visually-hidden" for="pasted">Paste papers</label>
          <textarea
            id="pasted"
            data-action="paste-list"
            placeholder=${'Paste papers: a title line, then its abstract; a blank line between papers.'}
            .value=${this.pasted}
            @input=${(e: Event) => (this.pasted = (e.target as HTMLTextAreaElement).value)}
          ></textarea>
          <div class="row">
            <button class="button" data-action="add-pasted" ?disabled=${busy || !this.ready || !this.pasted.trim()} @click=${this.onAddPasted}>
              Add pasted papers
            </button>
            ${this.ready ? nothing : html`<span class="meta">Waiting for the model to load…</span>`}
          </div>
        </div>
        ${this.renderImport()}
      </section>
      <section>${this.renderPapers()}</section>
    `;
  }

  private renderImport() {
    const progress = this.progress;
    return this.importTask.render({
      pending: () => html`<div class="report" role="status" data-import="pending">
        ${progress
          ? html`${progress.message}${progress.etaSeconds !== undefined && Number.isFinite(progress.etaSeconds) && progress.done < progress.total
                ? ` · about ${Math.ceil(progress.etaSeconds)} s left`
                : ''}
              <progress max=${progress.total} .value=${progress.done}></progress>`
          : html`Reading the file…<progress></progress>`}
      </div>`,
      complete: (reply) => this.renderReport(reply),
      error: (e) => html`<div class="report error" role="alert" data-import="error">
        ${errorText(e)}
        ${this.staleCollection
          ? html`<div class="row spaced">
              <button class="button" data-action="reembed" @click=${this.onReembed}>Embed its papers again with this model</button>
            </div>`
          : nothing}
      </div>`,
    });
  }

  private renderReport(reply: ImportReply) {
    const { added, duplicates } = reply;
    // Errors lost an entry; warnings (a repeat inside the file, an undefined @string) kept it.
    const problems = reply.problems.filter((p) => p.severity !== 'warning');
    const warnings = reply.problems.filter((p) => p.severity === 'warning');
    const formatName = { bibtex: 'BibTeX', json: 'JSON', arxiv: 'arXiv metadata', csv: 'CSV', listing: 'listing', pasted: 'pasted list', collection: 'collection file' }[reply.format];
    return html`<div class="report" role="status" data-import="done">
      <strong>Added ${added.length} ${added.length === 1 ? 'paper' : 'papers'}</strong> from the ${formatName}
      ${reply.embedded > 0 ? html`(${reply.embedded} embedded in ${(reply.ms / 1000).toFixed(1)} s)` : nothing}.
      ${duplicates.length > 0
        ? html`<div data-report="duplicates">
            ${duplicates.length} already in the collection, not added again:
            <ul>
              ${duplicates.slice(0, PROBLEMS_SHOWN).map(
                (d) => html`<li>${d.title}${d.existingTitle !== d.title ? html` (as “${d.existingTitle}”)` : nothing}${d.existingImported ? ' — one of your papers' : ''}</li>`,
              )}
            </ul>
          </div>`
        : nothing}
      ${problems.length > 0
        ? html`<div data-report="problems">
            ${problems.length} ${problems.length === 1 ? 'entry' : 'entries'} could not be read:
            <ul>
              ${problems.slice(0, PROBLEMS_SHOWN).map((p) => html`<li>line ${p.line}: ${p.reason}</li>`)}
              ${problems.length > PROBLEMS_SHOWN ? html`<li>… and ${problems.length - PROBLEMS_SHOWN} more</li>` : nothing}
            </ul>
          </div>`
        : nothing}
      ${warnings.length > 0
        ? html`<div data-report="warnings">
            ${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'} (the entries were kept or already added):
            <ul>
              ${warnings.slice(0, PROBLEMS_SHOWN).map((p) => html`<li>${p.line > 0 ? `line ${p.line}: ` : ''}${p.reason}</li>`)}
              ${warnings.length > PROBLEMS_SHOWN ? html`<li>… and ${warnings.length - PROBLEMS_SHOWN} more</li>` : nothing}
            </ul>
          </div>`
        : nothing}
    </div>`;
  }

  private renderPapers() {
    return this.papersTask.render({
      pending: () => html`<h2>Your papers</h2>`,
      error: (e) => html`<h2>Your papers</h2><p class="report error" role="alert">${errorText(e)}</p>`,
      complete: (papers) => html`
        <div class="row heading">
          <h2 id="your-papers" tabindex="-1">Your papers (<span data-count>${papers.length}</span>)</h2>
          <div class="row">
            <button class="button" data-action="export" ?disabled=${papers.length === 0} @click=${() => this.exportTask.run([])}>Export collection</button>
          </div>
        </div>
        ${this.exportTask.render({
          error: (e) => html`<p class="report error" role="alert">Export failed: ${errorText(e)}</p>`,
          complete: (reply) => html`<p class="meta" role="status">Saved ${reply.count} papers as ${reply.fileName}. Open it here on any machine to add them.</p>`,
        })}
        ${this.removeTask.render({ error: (e) => html`<p class="report error" role="alert">Removal failed: ${errorText(e)}</p>` })}
        ${papers.length === 0
          ? html`<p class="hint">None yet. Papers you add are searched with the others and marked as yours.</p>`
          : html`<ol class="papers">
              ${papers.map((paper, i) => this.renderPaper(paper, i))}
            </ol>`}
      `,
    });
  }

  private renderPaper(paper: Paper, index: number) {
    const href = safeUrl(paper.url);
    const meta = [paper.authors?.slice(0, 3).join(', '), paper.date, sourceLabel(paper.sources[0])].filter(Boolean).join(' · ');
    return html`<li data-imported-id=${paper.id}>
      <div>
        <div class="title" dir="auto">${href ? html`<a href=${href} target="_blank" rel="noopener noreferrer">${paper.title}</a>` : paper.title}</div>
        <div class="meta" dir="auto">${meta}</div>
      </div>
      <div class="actions">
        <button class="button" data-action="similar" @click=${() => this.emit('find-similar', { paperId: paper.id })}>Similar</button>
        <button
          class="button"
          data-action="remove"
          ?disabled=${this.removeTask.status === TaskStatus.PENDING}
          @click=${() => {
            this.removedAt = index;
            void this.removeTask.run([[paper.id]]);
          }}
        >
          Remove<span class="visually-hidden"> ${paper.title}</span>
        </button>
      </div>
    </li>`;
  }

  private onDragOver(event: DragEvent): void {
    event.preventDefault();
    this.dragging = true;
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    const file = event.dataTransfer?.files[0];
    if (file) void this.importFile(file);
  }

  private onFileChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = ''; // choosing the same file again must fire change again
    if (file) void this.importFile(file);
  }

  private async importFile(file: File): Promise<void> {
    this.staleCollection = undefined;
    if (file.size > MAX_IMPORT_BYTES) {
      const reason = `${file.name} is ${Math.round(file.size / 1e6)} MB; papersift imports files up to ${MAX_IMPORT_BYTES / 1024 / 1024} MB. Split it, or check it is the right file.`;
      void this.importTask.run([{ kind: 'refused', reason }]);
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, COLLECTION_MAGIC.length));
    if (head === COLLECTION_MAGIC) void this.importTask.run([{ kind: 'collection', bytes, fileName: file.name, reembed: false }]);
    else void this.importTask.run([{ kind: 'file', bytes, fileName: file.name }]);
  }

  private onAddPasted(): void {
    this.staleCollection = undefined;
    void this.importTask.run([{ kind: 'text', text: this.pasted, fileName: 'pasted' }]).then(() => {
      if (this.importTask.status === TaskStatus.COMPLETE && this.importTask.value && this.importTask.value.problems.every((p) => p.severity === 'warning')) this.pasted = '';
    });
  }

  private onReembed(): void {
    const stale = this.staleCollection;
    if (!stale) return;
    this.staleCollection = undefined;
    void this.importTask.run([{ kind: 'collection', bytes: stale.bytes, fileName: stale.fileName, reembed: true }]);
  }

  /**
   * `focusAt`: after a removal, the Remove button at this position (the next paper's, or the last one's), or the
   * list's heading when none is left, takes focus if focus was lost with the removed row (it fell to the page).
   */
  private changed(focusAt?: number): void {
    void this.papersTask.run().then(async () => {
      const count = this.papersTask.value?.length ?? 0;
      this.emit('collection-changed', { imported: count });
      if (focusAt === undefined) return;
      await this.updateComplete;
      if (!focusLost(this.renderRoot)) return;
      const removes = this.renderRoot.querySelectorAll<HTMLElement>('[data-action="remove"]');
      (removes[Math.min(focusAt, removes.length - 1)] ?? this.renderRoot.querySelector<HTMLElement>('#your-papers'))?.focus();
    });
  }

  /** The list may have changed elsewhere (another tab, a restore): read it again. */
  refresh(): void {
    void this.papersTask.run();
  }

  private requireClient(): EngineClient {
    if (!this.client) throw new Error('The search engine is not connected');
    return this.client;
  }

  private emit<K extends keyof LibraryPanelEvents>(type: K, detail: LibraryPanelEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** "import:mine.bib:12" → "mine.bib, line 12". */
function sourceLabel(source: string | undefined): string {
  const match = /^import:(.*):(\d+)$/.exec(source ?? '');
  return match ? `${match[1]}, line ${match[2]}` : '';
}

function errorText(e: unknown): string {
  if (e instanceof EngineError && e.code === 'parse') return `Nothing could be imported: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

function download(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-library-panel': LibraryPanel;
  }
}

/** Whether keyboard focus is nowhere (the page's body) or on a control of `root` that is disabled or gone. */
function focusLost(root: Node): boolean {
  let focused: Element | null = document.activeElement;
  while (focused?.shadowRoot?.activeElement) focused = focused.shadowRoot.activeElement;
  if (!focused || focused === document.body) return true;
  return root.contains(focused) && (!focused.isConnected || (focused as HTMLButtonElement).disabled === true);
}
