import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getModel } from '../core/models';
import { EmbeddingCache, embeddingKey } from './embedding-cache';

const model = getModel('bge-small-en-v1.5');
const dims = model.dims;

function vectorsFor(texts: string[]): Float32Array {
  const out = new Float32Array(texts.length * dims);
  texts.forEach((text, i) => {
    for (let d = 0; d < dims; d++) out[i * dims + d] = Math.sin(text.length * 31 + d + i * 0.001) / (d + 1);
  });
  return out;
}

function row(vectors: Float32Array, i: number): number[] {
  return Array.from(vectors.subarray(i * dims, (i + 1) * dims));
}

describe('EmbeddingCache', () => {
  it('keys by model, dtype and exact text', () => {
    const a = embeddingKey(model, 'q8', 'A title. An abstract');
    expect(embeddingKey(model, 'q8', 'A title. An abstract').equals(a)).toBe(true);
    expect(embeddingKey(model, 'fp32', 'A title. An abstract').equals(a)).toBe(false);
    expect(embeddingKey(getModel('all-MiniLM-L6-v2'), 'q8', 'A title. An abstract').equals(a)).toBe(false);
    expect(embeddingKey(model, 'q8', 'A title. An abstract ').equals(a)).toBe(false);
  });

  it('gives back what was appended, across instances and segments, and nothing it was not given', () => {
    const root = mkdtempSync(join(tmpdir(), 'papersift-cache-'));
    const texts = ['one', 'two two', 'three three three', 'four'];
    const vectors = vectorsFor(texts);
    const first = new EmbeddingCache(root, model, 'q8');
    first.append(texts.slice(0, 2).map((t) => first.key(t)), vectors.subarray(0, 2 * dims));
    first.close();
    const second = new EmbeddingCache(root, model, 'q8');
    second.append([second.key(texts[2])], vectors.subarray(2 * dims, 3 * dims));
    second.close();
    expect(second.segments()).toHaveLength(2);

    const reader = new EmbeddingCache(root, model, 'q8');
    const asked = ['three three three', 'unknown', 'one', 'one', 'four', 'two two'];
    const found = reader.lookup(asked.map((t) => reader.key(t)));
    expect(found.found).toEqual([true, false, true, true, false, true]);
    expect(found.hits).toBe(4);
    expect(row(found.vectors, 0)).toEqual(row(vectors, 2));
    expect(row(found.vectors, 2)).toEqual(row(vectors, 0));
    expect(row(found.vectors, 3)).toEqual(row(vectors, 0));
    expect(row(found.vectors, 5)).toEqual(row(vectors, 1));
    expect(row(found.vectors, 1).every((x) => x === 0)).toBe(true);
    // Another dtype is another cache.
    const fp32 = new EmbeddingCache(root, model, 'fp32');
    expect(fp32.lookup([fp32.key('one')]).hits).toBe(0);
  });

  it('ignores a record cut short by a kill and skips one whose bytes were damaged', () => {
    const root = mkdtempSync(join(tmpdir(), 'papersift-cache-'));
    const texts = ['alpha', 'beta', 'gamma'];
    const vectors = vectorsFor(texts);
    const cache = new EmbeddingCache(root, model, 'q8');
    cache.append(texts.map((t) => cache.key(t)), vectors);
    cache.close();
    const [segment] = cache.segments();
    const recordBytes = 32 + dims * 4 + 4;
    // A kill in the middle of the third record's write.
    truncateSync(segment, statSync(segment).size - 100);
    // A flipped bit in the second record's vector.
    const bytes = readFileSync(segment);
    bytes[16 + recordBytes + 32 + 10] ^= 0x01;
    writeFileSync(segment, bytes);

    const reader = new EmbeddingCache(root, model, 'q8');
    const found = reader.lookup(texts.map((t) => reader.key(t)));
    expect(found.found).toEqual([true, false, false]);
    expect(found.damaged).toBe(1);
    expect(row(found.vectors, 0)).toEqual(row(vectors, 0));

    // Appending after the damage goes to a new segment, so the cut-short tail never misaligns a later record.
    const writer = new EmbeddingCache(root, model, 'q8');
    writer.append([writer.key('gamma')], vectors.subarray(2 * dims));
    writer.close();
    expect(reader.lookup([reader.key('gamma')]).found).toEqual([true]);
  });
});
