/** The UI's links go through the core's check (also used by the BibTeX export). */
export { safeUrl } from '../core/safe-url';
