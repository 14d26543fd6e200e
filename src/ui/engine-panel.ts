/**
 * The footer: what the engine runs (corpus, model, backend and weights with the reason for them, where the
 * index came from) and the settings a user may change. Other weights re-embed the corpus, so the panel says so.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { MODELS } from '../core/models';
import type { EngineInfo, EngineSettings } from '../protocol';
import { shared } from './theme';

const BACKEND_LABEL: Record<EngineInfo['activeBackend'], string> = { wasm: 'WASM', webgpu: 'WebGPU' };

const SOURCE_LABEL: Record<EngineInfo['source'], string> = {
  network: 'downloaded this visit',
  indexeddb: 'kept in this browser',
  built: 'built in this browser',
};

@customElement('ps-engine-panel')
export class EnginePanel extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
        color: var(--ps-muted);
        font-size: 0.85rem;
      }
      .facts {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1rem;
        margin: 0;
        padding: 0;
        list-style: none;
      }
      details {
        margin-top: 0.75rem;
      }
      summary {
        cursor: pointer;
        width: fit-content;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem 1.5rem;
        margin-top: 0.75rem;
      }
      label {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
      }
      select {
        font: inherit;
        color: var(--ps-text);
        background: var(--ps-surface);
        border: 1px solid var(--ps-border);
        border-radius: 8px;
        padding: 0.2rem 0.4rem;
      }
      p {
        margin: 0.6rem 0 0;
      }
      .backend {
        color: var(--ps-text);
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) info?: EngineInfo;

  protected render() {
    const info = this.info;
    if (!info) return nothing;
    const { settings } = info;
    const model = MODELS[settings.modelId];
    const dtypes = model ? Object.keys(model.weights) : [settings.dtype];
    const onGpu = info.activeBackend === 'webgpu';
    const threads = !onGpu && settings.numThreads > 1 ? ` × ${settings.numThreads} threads` : '';
    return html`
      <ul class="facts">
        <li>${info.corpus.count.toLocaleString('en')} papers</li>
        <li>
          ${settings.modelId} on
          <strong class="backend" data-backend=${info.activeBackend} data-dtype=${info.activeDtype}
            >${BACKEND_LABEL[info.activeBackend]} (${info.activeDtype})${threads}</strong
          >
        </li>
        <li>index ${SOURCE_LABEL[info.source]}${info.loadTimings.indexMs ? ` in ${seconds(info.loadTimings.indexMs)}` : ''}</li>
        ${info.loadTimings.modelMs ? html`<li>model loaded in ${seconds(info.loadTimings.modelMs)}</li>` : nothing}
        <li>${counted(info.counters.queriesEmbedded, 'query', 'queries')}, ${counted(info.counters.documentsEmbedded, 'paper', 'papers')} embedded this visit</li>
      </ul>
      <p class="reason">${info.backendReason}</p>
      <details>
        <summary>Engine settings</summary>
        <form @change=${this.onChange}>
          <label
            >Backend
            <select name="backend">
              <option value="auto" ?selected=${settings.backend === 'auto'}>Automatic</option>
              <option value="wasm" ?selected=${settings.backend === 'wasm'}>WASM (CPU)</option>
              <option value="webgpu" ?selected=${settings.backend === 'webgpu'}>WebGPU (GPU, fp32)</option>
            </select>
          </label>
          <label title=${onGpu ? 'WebGPU always runs the fp32 weights' : ''}
            >WASM weights
            <select name="dtype" ?disabled=${onGpu}>
              ${dtypes.map((d) => html`<option value=${d} ?selected=${d === settings.dtype}>${d}</option>`)}
            </select>
          </label>
          ${!onGpu && crossOriginIsolated
            ? html`<label
                >Threads
                <select name="numThreads">
                  ${[1, 2, 4].map((n) => html`<option value=${n} ?selected=${n === settings.numThreads}>${n}</option>`)}
                </select>
              </label>`
            : nothing}
        </form>
        <p>
          WebGPU runs the fp32 weights (int8 kernels are a WASM strength). Weights other than the shipped index's make this
          browser re-embed all papers once, in batches (minutes on a CPU; far longer on a software WebGPU adapter).
        </p>
      </details>
    `;
  }

  private onChange(event: Event): void {
    const field = event.target as HTMLSelectElement;
    const change: Partial<EngineSettings> =
      field.name === 'numThreads' ? { numThreads: Number(field.value) } : { [field.name]: field.value };
    this.dispatchEvent(new CustomEvent('settings-change', { detail: change, bubbles: true, composed: true }));
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-engine-panel': EnginePanel;
  }
}

/** "1 query", "2 queries", "1,200 papers": a count as the header writes it, with the noun that agrees. */
function counted(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}
