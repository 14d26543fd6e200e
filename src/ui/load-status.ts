/**
 * What the engine is doing while search is not yet possible: loading (model, index), indexing
 * (re-embedding the corpus, with rate and time left) or failed.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { EngineStatus, LoadStep } from '../protocol';
import { shared } from './theme';

@customElement('ps-load-status')
export class LoadStatus extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
      }
      .panel {
        padding: 1rem 1.15rem;
        border: 1px solid var(--ps-border);
        border-radius: 14px;
        background: var(--ps-surface);
      }
      .panel.error {
        border-color: var(--ps-danger);
      }
      .line {
        display: flex;
        justify-content: space-between;
        gap: 1rem;
        font-size: 0.92rem;
      }
      .figures {
        color: var(--ps-muted);
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      .step + .step {
        margin-top: 0.9rem;
      }
      progress {
        display: block;
        width: 100%;
        height: 0.4rem;
        margin-top: 0.7rem;
        border: 0;
        border-radius: 999px;
        background: var(--ps-track);
        accent-color: var(--ps-accent);
        overflow: hidden;
      }
      progress::-webkit-progress-bar {
        background: var(--ps-track);
      }
      progress::-webkit-progress-value {
        background: var(--ps-accent);
        border-radius: 999px;
      }
      progress::-moz-progress-bar {
        background: var(--ps-accent);
      }
      details {
        margin-top: 0.5rem;
        font-size: 0.85rem;
      }
      summary {
        cursor: pointer;
        color: var(--ps-muted);
      }
      h2 {
        margin: 0 0 0.3rem;
        font-size: 1rem;
        color: var(--ps-danger);
      }
      p {
        margin: 0.3rem 0 0;
        color: var(--ps-muted);
        font-size: 0.9rem;
      }
    `,
  ];

  @property({ attribute: false }) status?: EngineStatus;

  protected render() {
    const status = this.status;
    if (!status || status.phase === 'ready') return nothing;
    if (status.phase === 'error' && status.keywordSearch) {
      // Only the model failed (a lost connection, a full disk, a private window's small storage): say what still works.
      return html`<div class="panel error" role="alert">
        <h2>Search by meaning is not available right now</h2>
        <div>Keyword search works: results match the words you type. The language model that finds papers by meaning could not be loaded.</div>
        <p>Check your connection and reload the page to try again. If it keeps failing, free some disk space or try a normal (not private) window.</p>
        <details><summary>Details</summary><p>${status.error.message}</p></details>
      </div>`;
    }
    if (status.phase === 'error') {
      return html`<div class="panel error" role="alert">
        <h2>The search engine could not start</h2>
        <div>Check your connection and reload the page to try again. If it keeps failing, the site may be broken: please tell its maintainers.</div>
        <details><summary>Details</summary><p>${status.error.message}</p></details>
      </div>`;
    }
    if (status.phase === 'indexing') {
      return html`<div class="panel" role="status" aria-live="polite">
        <div class="line">
          <span>${status.message}</span>
          <span class="figures">${status.rate > 0 ? `${status.rate.toFixed(1)}/s · ${eta(status.etaSeconds)} left` : 'estimating…'}</span>
        </div>
        <progress max=${status.total} .value=${status.done} aria-label="Indexing progress"></progress>
        <p>This browser is embedding the papers once; the index is then kept for later visits. The page stays usable.</p>
      </div>`;
    }
    return html`<div class="panel" role="status" aria-live="polite">
      ${this.renderStep('Model', status.model)} ${this.renderStep('Index', status.index)}
    </div>`;
  }

  private renderStep(label: string, step: LoadStep) {
    const known = step.loaded !== undefined && step.total;
    return html`<div class="step">
      <div class="line">
        <span><strong>${label}</strong> ${step.message}</span>
        ${step.done
          ? html`<span class="figures" aria-label="done">✓</span>`
          : known
            ? html`<span class="figures">${megabytes(step.loaded!)} / ${megabytes(step.total!)} MB</span>`
            : nothing}
      </div>
      ${step.done
        ? html`<progress max="1" .value=${1} aria-label="${label} loaded"></progress>`
        : known
          ? html`<progress max=${step.total!} .value=${step.loaded!} aria-label="${label} progress"></progress>`
          : html`<progress aria-label="${label} loading"></progress>`}
    </div>`;
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '…';
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  return `${Math.round(seconds / 60)} min`;
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-load-status': LoadStatus;
  }
}
