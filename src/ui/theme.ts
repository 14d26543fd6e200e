/**
 * Styles every component shares. Colours are CSS custom properties set on :root in index.html (light
 * and dark via prefers-color-scheme); custom properties cross shadow roots, plain selectors do not.
 */
import { css } from 'lit';

export const shared = css`
  :host {
    color: var(--ps-text);
    font: inherit;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  :focus-visible,
  /* A control whose input is hidden inside it (the file picker's label): the label shows the focus. */
  .button:has(input:focus-visible) {
    outline: 2px solid var(--ps-focus);
    outline-offset: 2px;
  }
  @media (prefers-reduced-motion: reduce) {
    *,
    *::before,
    *::after {
      transition: none !important;
      animation: none !important;
    }
  }
  button {
    font: inherit;
    color: inherit;
    cursor: pointer;
  }
  .button {
    display: inline-flex;
    align-items: center;
    gap: 0.35em;
    padding: 0.3em 0.75em;
    border: 1px solid var(--ps-border);
    border-radius: 999px;
    background: var(--ps-surface);
    font-size: 0.85rem;
    line-height: 1.4;
    transition:
      background-color 0.15s,
      border-color 0.15s;
  }
  .button:hover {
    border-color: var(--ps-accent);
    background: var(--ps-accent-soft);
  }
  .button.primary {
    border-color: var(--ps-accent);
    background: var(--ps-accent);
    color: var(--ps-on-accent);
  }
  .button:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  .link {
    padding: 0;
    border: 0;
    background: none;
    color: var(--ps-accent);
    text-decoration: underline;
    text-underline-offset: 2px;
  }
  textarea {
    width: 100%;
    border: 1px solid var(--ps-border);
    background: var(--ps-surface);
    color: var(--ps-text);
    font: inherit;
    line-height: 1.5;
    resize: vertical;
  }
  kbd {
    font: 0.8em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    padding: 0.05em 0.4em;
    border: 1px solid var(--ps-border);
    border-bottom-width: 2px;
    border-radius: 4px;
    background: var(--ps-surface);
  }
`;
