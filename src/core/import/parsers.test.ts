import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../cli/node-env';
import { paperId } from '../corpus/ids';
import { parseBibtex } from './parse-bibtex';
import { parseJsonPapers } from './parse-json-papers';
import { parsePastedList } from './parse-pasted-list';
import { detectImportFormat, parseImportFile } from './parse-import-file';

const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'import', name), 'utf8');

describe('parseBibtex', () => {
  const { papers, problems } = parseBibtex(fixture('papers.bib'), 'mine.bib');
  const byKey = (title: string) => papers.find((p) => p.title.startsWith(title));

  it('keeps the readable entries, with LaTeX turned into text', () => {
    expect(papers.map((p) => p.title)).toEqual([
      'ColBERT: Efficient and Effective Passage Search via Contextualized Late Interaction over BERT',
      'Denoising Diffusion Probabilistic Models',
      'Proximal Policy Optimization Algorithms',
      '<img src=x onerror=alert(1)>',
    ]);
    const colbert = byKey('ColBERT')!;
    expect(colbert).toMatchObject({
      id: paperId(colbert.title),
      authors: ['Omar Khattab', 'Matei Zaharia'],
      date: 'Jul 2020',
      url: 'https://arxiv.org/abs/2004.12832',
      imported: true,
      sources: ['import:mine.bib:4'],
    });
    expect(colbert.abstract).toMatch(/^We present ColBERT, a ranking model .* both effective and fast\.$/);
    expect(byKey('Proximal')!.url).toBe('https://doi.org/10.48550/arXiv.1707.06347');
  });

  it('keeps markup in a title as plain text, and drops only the parser\'s own', () => {
    const xss = byKey('<img')!;
    expect(xss.title).toBe('<img src=x onerror=alert(1)>');
    expect(xss.abstract).toBe('An abstract about Über-robust sanitisation with α-blending and <b>tags</b>.');
    expect(xss.id).toBe('img-src-x-onerror-alert-1');
  });

  it('lists the broken entry and the one without an abstract, with their lines', () => {
    expect(problems).toHaveLength(2);
    expect(problems[0].line).toBe(25);
    expect(problems[0].reason).toMatch(/expected "}"/);
    expect(problems[1]).toEqual({ line: 40, reason: '@misc{noabstract}: no abstract' });
  });

  it('reports a file with no entries', () => {
    expect(parseBibtex('just some text', 'x.bib')).toEqual({ papers: [], problems: [{ line: 1, reason: 'no BibTeX entries found' }] });
  });
});

describe('parseJsonPapers', () => {
  it('reads an array, giving each problem the line its element starts on', () => {
    const { papers, problems } = parseJsonPapers(fixture('papers.json'), 'mine.json');
    expect(papers.map((p) => [p.title, p.sources[0]])).toEqual([
      ['ColBERT: Efficient and Effective Passage Search via Contextualized Late Interaction over BERT', 'import:mine.json:2'],
      ['Denoising Diffusion Probabilistic Models', 'import:mine.json:12'],
    ]);
    expect(papers[0]).toMatchObject({ authors: ['Omar Khattab', 'Matei Zaharia'], date: '2020', url: 'https://arxiv.org/abs/2004.12832' });
    expect(problems).toEqual([
      { line: 9, reason: 'no title' },
      { line: 10, reason: 'not an object with title and abstract' },
      { line: 11, reason: 'no abstract' },
    ]);
  });

  it('reads JSON lines, reporting a broken line and a repeated paper', () => {
    const { papers, problems } = parseJsonPapers(fixture('papers.jsonl'), 'mine.jsonl');
    expect(papers.map((p) => p.sources[0])).toEqual(['import:mine.jsonl:1', 'import:mine.jsonl:5']);
    expect(papers[1].authors).toEqual(['Jonathan Ho']);
    expect(problems.map((p) => p.line)).toEqual([2, 3]);
    expect(problems[0].reason).toMatch(/^not valid JSON/);
    expect(problems[1].reason).toBe('same paper as line 1');
  });

  it('reports an array it cannot parse as one problem', () => {
    expect(parseJsonPapers('[{"title": "x",', 'bad.json').problems).toEqual([{ line: 1, reason: expect.stringMatching(/^not valid JSON/) }]);
  });
});

describe('parsePastedList', () => {
  it('reads blank-line separated blocks: title, then the abstract lines', () => {
    const { papers, problems } = parsePastedList('\nFirst Paper\nIts abstract,\nover two lines.\n\n\nA title alone\n\r\nSecond Paper\r\nShort abstract.\n');
    expect(papers.map((p) => [p.title, p.abstract, p.sources[0]])).toEqual([
      ['First Paper', 'Its abstract, over two lines.', 'import:pasted:2'],
      ['Second Paper', 'Short abstract.', 'import:pasted:9'],
    ]);
    expect(problems).toEqual([{ line: 7, reason: 'no abstract' }]);
  });

  it('says when nothing was pasted', () => {
    expect(parsePastedList('  \n\n').problems).toEqual([{ line: 1, reason: 'nothing pasted' }]);
  });
});

describe('detectImportFormat', () => {
  it('trusts the file name, else the first meaningful character', () => {
    expect(detectImportFormat('refs.BIB', '{"title": 1}')).toBe('bibtex');
    expect(detectImportFormat('list.jsonl', '')).toBe('json');
    expect(detectImportFormat('clipboard', '% exported by Zotero\n\n@article{a, title={T}}')).toBe('bibtex');
    expect(detectImportFormat('clipboard', '\uFEFF  [{"title": "T"}]')).toBe('json');
    expect(detectImportFormat('notes.txt', 'A title\nIts abstract.')).toBe('pasted');
  });

  it('parseImportFile reports the format it used', () => {
    const result = parseImportFile(fixture('papers.bib'), 'mine.bib');
    expect(result.format).toBe('bibtex');
    expect(result.papers.length).toBeGreaterThan(0);
  });
});
