import { describe, expect, it } from 'vitest';
import { chooseBackend, isSoftwareAdapter, type AdapterFacts, type BackendInputs } from './backend-choice';

const NONE: AdapterFacts = { found: false };
/** What headless Chromium 156 here reports with --enable-unsafe-webgpu. */
const SWIFTSHADER: AdapterFacts = { found: true, isFallbackAdapter: true, vendor: 'google', architecture: 'swiftshader', description: '' };
const GPU: AdapterFacts = { found: true, isFallbackAdapter: false, vendor: 'nvidia', architecture: 'hopper', description: '' };

const decide = (over: Partial<BackendInputs>) => chooseBackend({ choice: 'auto', wasmDtype: 'q8', adapter: GPU, webgpuWeights: true, ...over });

describe('chooseBackend', () => {
  it('auto takes WebGPU with the fp32 weights on a hardware adapter', () => {
    expect(decide({})).toMatchObject({ backend: 'webgpu', dtype: 'fp32' });
    expect(decide({}).reason).toMatch(/nvidia hopper/);
  });

  it('auto stays on WASM, with the user’s weights, without an adapter', () => {
    expect(decide({ adapter: NONE })).toMatchObject({ backend: 'wasm', dtype: 'q8', reason: expect.stringMatching(/No WebGPU adapter/) });
    expect(decide({ adapter: NONE, wasmDtype: 'fp32' }).dtype).toBe('fp32');
  });

  it('auto stays on WASM for a software adapter, whether it says fallback or only names itself', () => {
    expect(decide({ adapter: SWIFTSHADER })).toMatchObject({ backend: 'wasm', dtype: 'q8', reason: expect.stringMatching(/google swiftshader.*software/) });
    expect(decide({ adapter: { found: true, vendor: 'mesa', architecture: 'llvmpipe' } }).backend).toBe('wasm');
    expect(decide({ adapter: { found: true, isFallbackAdapter: true } }).backend).toBe('wasm');
    // The weights are not probed for a software adapter on auto; the reason names the adapter, not the weights.
    expect(decide({ adapter: SWIFTSHADER, webgpuWeights: false }).reason).toMatch(/software emulation/);
  });

  it('auto stays on WASM when the fp32 weights are not served', () => {
    expect(decide({ webgpuWeights: false })).toMatchObject({ backend: 'wasm', dtype: 'q8', reason: expect.stringMatching(/fp32 weights/) });
  });

  it('an explicit WebGPU runs even a software adapter, and says it is slow', () => {
    expect(decide({ choice: 'webgpu', adapter: SWIFTSHADER })).toMatchObject({
      backend: 'webgpu',
      dtype: 'fp32',
      reason: expect.stringMatching(/chosen.*software emulation/),
    });
  });

  it('an explicit WebGPU falls back to WASM, saying why, without an adapter or the weights', () => {
    expect(decide({ choice: 'webgpu', adapter: NONE })).toMatchObject({ backend: 'wasm', dtype: 'q8', reason: expect.stringMatching(/No WebGPU adapter/) });
    expect(decide({ choice: 'webgpu', webgpuWeights: false })).toMatchObject({ backend: 'wasm', dtype: 'q8' });
  });

  it('an explicit WASM ignores the GPU', () => {
    expect(decide({ choice: 'wasm', wasmDtype: 'fp32' })).toMatchObject({ backend: 'wasm', dtype: 'fp32', reason: expect.stringMatching(/WASM chosen/) });
  });
});

describe('isSoftwareAdapter', () => {
  it('trusts isFallbackAdapter and known software names, and nothing else', () => {
    expect(isSoftwareAdapter(SWIFTSHADER)).toBe(true);
    expect(isSoftwareAdapter({ found: true, description: 'Microsoft Basic Render Driver' })).toBe(true);
    expect(isSoftwareAdapter(GPU)).toBe(false);
    expect(isSoftwareAdapter({ found: true })).toBe(false);
  });
});
