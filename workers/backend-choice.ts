/**
 * Which backend and weights the engine runs: a pure decision over what the browser offers, so it can be
 * tested without one.
 *
 * WebGPU always runs the fp32 weights: int8 (q8) kernels are a WASM strength, and WebGPU's gain is in
 * batched corpus embedding (a stale index, the user's own papers), which fp32 batches and q8 cannot
 * (its graph quantises activations per run, so it embeds one text at a time). Because the index must come
 * from the same weights as the queries, choosing WebGPU means the fp32 artifact set, built once by batched
 * re-embedding on the GPU and then kept in IndexedDB.
 *
 * 'auto' takes WebGPU only for a hardware adapter: a software one (SwiftShader, llvmpipe) emulates the GPU
 * on the CPU and embeds 15-50x slower than WASM (docs/BENCHMARKS.md, "WebGPU vs WASM").
 */
import type { Dtype } from '../src/core/models';
import type { BackendChoice, QueryBackend } from '../src/protocol';

/** The weights WebGPU runs. */
export const WEBGPU_DTYPE: Dtype = 'fp32';

/** What requestAdapter() said; `found: false` when navigator.gpu is missing or gave no adapter. */
export interface AdapterFacts {
  found: boolean;
  /** GPUAdapterInfo.isFallbackAdapter (Chromium 131+; older ones had GPUAdapter.isFallbackAdapter). */
  isFallbackAdapter?: boolean;
  vendor?: string;
  architecture?: string;
  description?: string;
}

export interface BackendInputs {
  choice: BackendChoice;
  /** The weights to run on WASM (the user's choice, default the model's default). */
  wasmDtype: Dtype;
  adapter: AdapterFacts;
  /** The model ships fp32 weights and the site serves them (offline or not deployed: false; need not be asked for auto on a software adapter). */
  webgpuWeights: boolean;
}

export interface BackendDecision {
  backend: QueryBackend;
  dtype: Dtype;
  /** One short sentence for the engine panel. */
  reason: string;
}

/** Names of software rasterisers that present themselves as WebGPU adapters. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i;

export function isSoftwareAdapter(adapter: AdapterFacts): boolean {
  if (adapter.isFallbackAdapter) return true;
  return [adapter.vendor, adapter.architecture, adapter.description].some((name) => name !== undefined && SOFTWARE_ADAPTER.test(name));
}

export function chooseBackend({ choice, wasmDtype, adapter, webgpuWeights }: BackendInputs): BackendDecision {
  const wasm = (reason: string): BackendDecision => ({ backend: 'wasm', dtype: wasmDtype, reason });
  const webgpu = (reason: string): BackendDecision => ({ backend: 'webgpu', dtype: WEBGPU_DTYPE, reason });
  if (choice === 'wasm') return wasm('WASM chosen in the settings.');
  if (!adapter.found) return wasm('No WebGPU adapter in this browser, so the model runs on WASM.');
  const software = isSoftwareAdapter(adapter);
  const name = adapterName(adapter);
  if (choice === 'auto' && software) return wasm(`The WebGPU adapter (${name}) is a software emulation, slower than WASM, so the model runs on WASM.`);
  if (!webgpuWeights) return wasm(`WebGPU runs the ${WEBGPU_DTYPE} weights, which this model or site does not offer now (offline?), so the model runs on WASM.`);
  if (choice === 'webgpu') {
    return webgpu(
      software
        ? `WebGPU chosen in the settings; its adapter (${name}) is a software emulation, slower than WASM.`
        : `WebGPU chosen in the settings (${name}).`,
    );
  }
  return webgpu(`A GPU (${name}) is available: WebGPU embeds papers in batches faster than WASM.`);
}

function adapterName(adapter: AdapterFacts): string {
  return [adapter.vendor, adapter.architecture, adapter.description].filter((part) => part && part.trim()).join(' ') || 'unnamed';
}
