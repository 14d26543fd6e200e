import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../cli/node-env';
import { paperId } from '../corpus/ids';
import { parseBibtex, parseImportFile, parseJsonPapers, parsePastedList } from './parse-import-file';

const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'import', name), 'utf8');

describe('parseBibtex', () => {
  const { papers, problems } = parseBibtex(fixture('papers.bib'), 'mine.bib');
  const byKey = (title: string) => papers.find((p) => p.title.startsWith(title));

  it('keeps the readable entries under their BibTeX keys, with LaTeX turned into text', () => {
    expect(papers.map((p) => p.title)).toEqual([
      'ColBERT: Efficient and Effective Passage Search via Contextualized Late Interaction over BERT',
      'Denoising Diffusion Probabilistic Models',
      'Proximal Policy Optimization Algorithms',
      '<img src=x onerror=alert(1)>',
    ]);
    const colbert = byKey('ColBERT')!;
    expect(colbert).toMatchObject({
      id: 'khattab2020colbert',
      authors: ['Omar Khattab', 'Matei Zaharia'],
      date: 'Jul 2020',
      url: 'https://arxiv.org/abs/2004.12832',
      arxivId: '2004.12832',
      published: '2020-07',
      venue: 'SIGIR',
      imported: true,
      sources: ['import:mine.bib:4'],
    });
    expect(byKey('Denoising')!.venue).toBe('Advances in Neural Information Processing Systems');
    expect(colbert.abstract).toMatch(/^We present ColBERT, a ranking model .* both effective and fast\.$/);
    expect(byKey('Proximal')!.url).toBe('https://doi.org/10.48550/arXiv.1707.06347');
  });

  it('keeps markup in a title as plain text, and drops only the parser\'s own', () => {
    const xss = byKey('<img')!;
    expect(xss.title).toBe('<img src=x onerror=alert(1)>');
    expect(xss.abstract).toBe('An abstract about Über-robust sanitisation with α-blending and <b>tags</b>.');
    expect(xss.id).toBe('xss');
  });

  it('lists the broken entry and the one without an abstract, with their lines', () => {
    expect(problems).toHaveLength(2);
    expect(problems[0].line).toBe(25);
    expect(problems[0].reason).toMatch(/expected "}"/);
    expect(problems[1]).toEqual({ line: 40, reason: '@misc{noabstract}: no abstract', severity: 'error' });
  });

  it('reports a file with no entries', () => {
    expect(parseBibtex('just some text', 'x.bib')).toMatchObject({ papers: [], problems: [{ line: 0, reason: 'no BibTeX entries found', severity: 'error' }] });
  });
});

describe('parseJsonPapers', () => {
  it('reads an array, giving each problem the line its element starts on', () => {
    const { papers, problems } = parseJsonPapers(fixture('papers.json'), 'mine.json');
    expect(papers.map((p) => [p.title, p.sources[0]])).toEqual([
      ['ColBERT: Efficient and Effective Passage Search via Contextualized Late Interaction over BERT', 'import:mine.json:2'],
      ['Denoising Diffusion Probabilistic Models', 'import:mine.json:12'],
    ]);
    expect(papers[0]).toMatchObject({ id: paperId(papers[0].title), authors: ['Omar Khattab', 'Matei Zaharia'], date: '2020', published: '2020', url: 'https://arxiv.org/abs/2004.12832' });
    expect(problems).toEqual([
      { line: 9, reason: 'no title', severity: 'error' },
      { line: 10, reason: 'not an object with title and abstract', severity: 'error' },
      { line: 11, reason: 'no abstract', severity: 'error' },
    ]);
  });

  it('reads JSON lines, reporting a broken line and a repeated paper', () => {
    const { papers, problems } = parseJsonPapers(fixture('papers.jsonl'), 'mine.jsonl');
    expect(papers.map((p) => p.sources[0])).toEqual(['import:mine.jsonl:1', 'import:mine.jsonl:5']);
    expect(papers[1].authors).toEqual(['Jonathan Ho']);
    expect(problems.map((p) => [p.line, p.severity])).toEqual([[2, 'error'], [3, 'warning']]);
    expect(problems[0].reason).toMatch(/^not valid JSON/);
    expect(problems[1].reason).toBe('duplicate of import:mine.jsonl:1 (same title); the first is kept');
  });

  it('reports an array it cannot parse as one problem', () => {
    expect(parseJsonPapers('[{"title": "x",', 'bad.json').problems).toEqual([{ line: 1, reason: expect.stringMatching(/^not valid JSON/), severity: 'error' }]);
  });
});

describe('parsePastedList', () => {
  it('reads blank-line separated blocks: title, then the abstract lines', () => {
    const { papers, problems } = parsePastedList('\nFirst Paper\nIts abstract,\nover two lines.\n\n\nA title alone\n\r\nSecond Paper\r\nShort abstract.\n');
    expect(papers.map((p) => [p.title, p.abstract, p.sources[0]])).toEqual([
      ['First Paper', 'Its abstract, over two lines.', 'import:pasted:2'],
      ['Second Paper', 'Short abstract.', 'import:pasted:9'],
    ]);
    expect(problems).toEqual([{ line: 7, reason: 'no abstract', severity: 'error' }]);
  });

  it('says when nothing was pasted', () => {
    expect(parsePastedList('  \n\n').problems).toEqual([{ line: 0, reason: 'the file holds only white space', severity: 'error' }]);
  });
});

describe('parseImportFile', () => {
  it('trusts the file name, else the content', () => {
    const format = (name: string, text: string) => parseImportFile(text, name).format;
    expect(format('refs.BIB', '@misc{a, title={T}, abstract={A}}')).toBe('bibtex');
    expect(format('list.jsonl', '{"title": "T", "abstract": "A"}')).toBe('json');
    expect(format('clipboard', '% exported by Zotero\n\n@article{a, title={T}}')).toBe('bibtex');
    expect(format('clipboard', '\uFEFF  [{"title": "T"}]')).toBe('json');
    expect(format('notes.txt', 'A title\nIts abstract.')).toBe('pasted');
    expect(format('export', 'Title,Abstract\nT,A')).toBe('csv');
  });

  it('reads bytes as well as text, and reports the format it used', () => {
    const result = parseImportFile(new Uint8Array(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'import', 'papers.bib'))), 'mine.bib');
    expect(result.format).toBe('bibtex');
    expect(result.papers.length).toBe(4);
  });
});
