/**
 * "A new version is available — Reload": shown when a deploy's service worker is installed and waiting.
 * Until the user reloads, this tab keeps running its own version (see vite.config.ts).
 */
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { shared } from './theme';

@customElement('ps-update-notice')
export class UpdateNotice extends LitElement {
  static styles = [
    shared,
    css`
      :host {
        position: fixed;
        inset: auto 1rem 1rem auto;
        z-index: 10;
        max-width: calc(100vw - 2rem);
      }
      .notice {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        padding: 0.6rem 0.75rem 0.6rem 1rem;
        border: 1px solid var(--ps-border);
        border-radius: 12px;
        background: var(--ps-surface);
        box-shadow: 0 4px 16px rgba(20, 20, 30, 0.15);
        font-size: 0.9rem;
      }
    `,
  ];

  /** Asks the waiting worker to take over; the page reloads when it has. */
  @property({ attribute: false }) reload?: () => void | Promise<void>;

  @state() private reloading = false;

  protected render() {
    return html`<div class="notice" role="status" data-update="available">
      <span>A new version is available</span>
      <button class="button" ?disabled=${this.reloading} @click=${this.onReload}>${this.reloading ? 'Reloading…' : 'Reload'}</button>
    </div>`;
  }

  private onReload = (): void => {
    this.reloading = true;
    void this.reload?.();
  };
}

/** Shows the notice once, however often a waiting worker is reported. */
export function showUpdateNotice(reload: () => void | Promise<void>): void {
  if (document.querySelector('ps-update-notice')) return;
  const notice = document.createElement('ps-update-notice');
  notice.reload = reload;
  document.body.append(notice);
}

declare global {
  interface HTMLElementTagNameMap {
    'ps-update-notice': UpdateNotice;
  }
}
