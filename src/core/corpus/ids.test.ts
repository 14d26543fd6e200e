import { describe, expect, it } from 'vitest';
import { normaliseTitle, paperId } from './ids';

describe('paper ids', () => {
  it('ignore case, accents, quotes and dashes', () => {
    expect(paperId('Matryoshka Representation Learning')).toBe('matryoshka-representation-learning');
    expect(paperId('  “Matryoshka”  representation—learning ')).toBe('matryoshka-representation-learning');
    expect(normaliseTitle('Café Déjà-Vu')).toBe('cafe deja vu');
  });

  it('keep non-Latin titles distinct', () => {
    expect(paperId('深度学习的表示')).not.toBe(paperId('语言模型的评估'));
    expect(paperId('深度学习的表示')).not.toBe('');
  });

  it('cap long titles and keep them unique with a hash', () => {
    const long = 'A '.repeat(10) + 'very long title about embeddings and retrieval '.repeat(4);
    const other = long + 'with a different ending';
    expect(paperId(long).length).toBeLessThanOrEqual(81);
    expect(paperId(long)).not.toBe(paperId(other));
  });
});
