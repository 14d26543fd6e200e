import { describe, expect, it } from 'vitest';
import { safeUrl } from './safe-url';

describe('safeUrl', () => {
  it('keeps web links and refuses script, data and relative ones', () => {
    expect(safeUrl('https://arxiv.org/abs/2004.12832')).toBe('https://arxiv.org/abs/2004.12832');
    expect(safeUrl('http://example.org/a b')).toBe('http://example.org/a%20b');
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', '/relative', 'arxiv.org/abs/1', '', undefined]) {
      expect(safeUrl(bad)).toBeUndefined();
    }
  });
});
