/**
 * Footer line: how much this site keeps on the device (navigator.storage.estimate) and whether the
 * browser promised to keep it (persistent storage, requested once by src/main.ts).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { formatBytes } from './format-bytes';
import { shared } from './theme';

@customElement('ps-storage-status')
export class StorageStatus extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        display: block;
      }
      p {
        margin: 0.5rem 0 0;
        color: var(--ps-muted);
        font-size: 0.85rem;
      }
    `,
  ];

  /** undefined: not asked yet, or the browser has no such API. */
  @property({ attribute: false }) persisted?: boolean;
  /** The engine has stored its index, the service worker its precache: each changes the usage. */
  @property({ type: Boolean, attribute: false }) engineReady = false;
  @property({ type: Boolean, attribute: false }) offlineReady = false;
  /**
   * The browser refused to store the offline copy. Chromium reports a quota from the disk's size, not its free
   * space, so "of 11 GB available" would then contradict the note above; the quota is left out.
   */
  @property({ type: Boolean, attribute: false }) storageRefused = false;

  @state() private estimate?: StorageEstimate;

  private measuring = 0;

  connectedCallback(): void {
    super.connectedCallback();
    void this.measure();
  }

  protected willUpdate(changed: Map<PropertyKey, unknown>): void {
    if ((changed.has('engineReady') && this.engineReady) || (changed.has('offlineReady') && this.offlineReady)) void this.measure();
  }

  /** The latest request wins: estimates can resolve out of order. */
  private async measure(): Promise<void> {
    if (!navigator.storage?.estimate) return;
    const run = ++this.measuring;
    try {
      const estimate = await navigator.storage.estimate();
      if (run === this.measuring) this.estimate = estimate;
    } catch {
      // Some private modes refuse; the line is simply left out.
    }
  }

  protected render() {
    const estimate = this.estimate;
    if (estimate?.usage === undefined) return nothing;
    const quota = estimate.quota && !this.storageRefused ? ` of ${formatBytes(estimate.quota)} available` : '';
    const kept =
      this.persisted === true
        ? 'persistent: the browser keeps it until you clear it'
        : this.persisted === false
          ? 'not persistent: the browser may clear it when space runs low'
          : '';
    return html`<p data-storage-usage=${estimate.usage} data-persisted=${this.persisted === undefined ? 'unknown' : String(this.persisted)}>
      Stored on this device: ${formatBytes(estimate.usage)}${quota}${kept ? ` · ${kept}` : ''}.
    </p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-storage-status': StorageStatus;
  }
}
