/**
 * What the built page may load and where it may connect: its own origin only, so nothing a user imports
 * or types can leave the browser, and text from their files can never run as script.
 * vite.config.ts puts it in the built index.html as a <meta http-equiv>, which no static host can forget;
 * the README gives the same as a header, plus what only a header can say (HEADER_ONLY_DIRECTIVES).
 * A dedicated worker loaded from its own URL runs under its own response's CSP header, not this meta:
 * on a host that sends the header (README, Deploying) the engine worker is held to the same rules.
 */
export const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  // WebAssembly.instantiate (onnxruntime-web, hnswlib-wasm's inlined module) needs 'wasm-unsafe-eval';
  // nothing needs 'unsafe-eval' or an inline script.
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'"],
  'connect-src': ["'self'"],
  'style-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

/** Directives a <meta> policy ignores: only a response header can carry them. */
export const HEADER_ONLY_DIRECTIVES: Record<string, string[]> = {
  'frame-ancestors': ["'none'"],
};

export function formatPolicy(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** The <meta http-equiv="Content-Security-Policy"> of the built page. */
export const CONTENT_SECURITY_POLICY = formatPolicy(CSP_DIRECTIVES);

/**
 * The Content-Security-Policy header for hosts that can send one. It is what the engine worker runs under
 * (a worker from its own URL ignores the page's meta), and the worker needs 'unsafe-eval': hnswlib-wasm's
 * Emscripten glue compiles a string when it rebuilds an index, and onnxruntime-web's WebGPU build does too.
 * The page gets no more from it: a page under both the meta and the header must satisfy both, so eval stays
 * refused there. connect-src 'self' holds for both: nothing leaves, from the page or from the worker.
 */
export const CONTENT_SECURITY_POLICY_HEADER = formatPolicy({
  ...CSP_DIRECTIVES,
  'script-src': [...CSP_DIRECTIVES['script-src'], "'unsafe-eval'"],
  ...HEADER_ONLY_DIRECTIVES,
});
