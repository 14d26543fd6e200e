import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededBytes } from '../../../test/helpers/random';
import { paperId } from '../corpus/ids';
import { PaperDeduper, PaperFileStream, readPaperFile, readPaperFiles } from './index';

const SAMPLE = '/work/shared/corpora/arxiv-oai-sample.jsonl';
const enc = new TextEncoder();
const errors = (r: { problems: { severity: string }[] }) => r.problems.filter((p) => p.severity === 'error');

function utf16(text: string, endian: 'le' | 'be', bom: boolean): Uint8Array {
  const out = new Uint8Array((text.length + (bom ? 1 : 0)) * 2);
  const view = new DataView(out.buffer);
  const units = (bom ? '\uFEFF' : '') + text;
  for (let i = 0; i < units.length; i++) view.setUint16(i * 2, units.charCodeAt(i), endian === 'le');
  return out;
}

const JSON_PAPERS = `[
  {"id": "p1", "title": "Über-fast retrieval", "abstract": "Late interaction, now faster.", "authors": "Ada Lovelace; Alan Turing", "date": "2021-03-04"},
  {"id": "p2", "title": "A second paper", "abstract": "Its abstract.", "doi": "https://doi.org/10.1000/xyz", "categories": "cs.IR cs.LG"}
]`;

describe('hostile files', () => {
  it('refuses 20 KB of random bytes with no extension as binary, naming the file, with no papers', () => {
    const result = readPaperFile(seededBytes(20_000, 1), 'download');
    expect(result.papers).toEqual([]);
    expect(result.format).toBeNull();
    expect(result.problems).toEqual([{ source: 'download', line: 0, severity: 'error', message: expect.stringMatching(/^download is binary, not text/) }]);
  });

  it('reads UTF-16 LE and BE JSON, with and without a byte-order mark, like UTF-8', () => {
    const expected = readPaperFile(enc.encode(JSON_PAPERS), 'papers.json');
    expect(expected.papers.map((p) => p.title)).toEqual(['Über-fast retrieval', 'A second paper']);
    for (const endian of ['le', 'be'] as const) {
      for (const bom of [true, false]) {
        const result = readPaperFile(utf16(JSON_PAPERS, endian, bom), 'papers.json');
        expect(result.encoding, `${endian} bom=${bom}`).toBe(`utf-16${endian}`);
        expect(result.problems).toEqual([]);
        expect(result.papers).toEqual(expected.papers);
      }
    }
  });

  it('reads UTF-16 JSON lines streamed in odd-sized chunks, characters split across them', () => {
    const lines = '{"title": "Naïve Bayes ✓", "abstract": "Ünïcödé abstract."}\n{"title": "Second", "abstract": "Two."}\n';
    for (const bytes of [utf16(lines, 'le', false), utf16(lines, 'be', true), enc.encode(lines)]) {
      const stream = new PaperFileStream('x.jsonl');
      const papers = [];
      for (let i = 0; i < bytes.length; i += 7) papers.push(...stream.push(bytes.subarray(i, i + 7)));
      papers.push(...stream.end());
      expect(papers.map((p) => p.title)).toEqual(['Naïve Bayes ✓', 'Second']);
      expect(stream.problems()).toEqual([]);
    }
  });

  it('keeps an entry that uses an undefined @string, warning at the line that uses it', () => {
    const bib = '% refs\n\n@article{a,\n  title = {First},\n  abstract = {One.}\n}\n\n@article{b,\n  title = {Second},\n  journal = jmlr,\n  abstract = {Two.}\n}\n';
    const result = readPaperFile(enc.encode(bib), 'refs.bib');
    expect(result.papers.map((p) => [p.id, p.venue])).toEqual([['a', undefined], ['b', 'jmlr']]);
    expect(result.problems).toEqual([
      { source: 'refs.bib', line: 10, severity: 'warning', message: '@article{b}: @string "jmlr" is not defined; its name is kept as the text' },
    ]);
  });

  it('names compressed files and PDFs for what they are', () => {
    expect(readPaperFile(Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), 'snapshot.json.gz').problems[0].message).toMatch(/gzip-compressed; decompress it first/);
    expect(readPaperFile(enc.encode('%PDF-1.7\n...'), 'paper.pdf').problems[0].message).toMatch(/is a PDF document/);
  });

  it('reads Latin-1 text as Windows-1252, with a warning', () => {
    const latin1 = Uint8Array.from('@misc{k, title={Caf\xe9 society}, abstract={Na\xefve.}}', (c) => c.charCodeAt(0));
    const result = readPaperFile(latin1, 'old.bib');
    expect(result.papers[0].title).toBe('Café society');
    expect(result.problems).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/not valid UTF-8; read it as Windows-1252/) })]);
  });

  it('quotes control characters of a broken line escaped, never raw', () => {
    const result = readPaperFile(enc.encode('{"title": "A", "abstract": "B"}\n{"title": \u0001}\n'), 'x.jsonl');
    expect(result.papers).toHaveLength(1);
    expect(result.problems[0].line).toBe(2);
    expect(result.problems[0].message).not.toMatch(/[\u0000-\u0008]/);
  });

  it('reports an empty file and one of only white space', () => {
    expect(readPaperFile(new Uint8Array(), 'e.bib').problems).toEqual([{ source: 'e.bib', line: 0, severity: 'error', message: 'the file is empty' }]);
    expect(readPaperFile(enc.encode('\n  \n'), 'w.txt').problems[0].message).toBe('the file holds only white space');
  });
});

describe('arXiv metadata snapshot', () => {
  const record = (id: string, extra: object = {}) =>
    JSON.stringify({ id, title: `Paper ${id}\n  on things`, abstract: `  Abstract of ${id}.\n`, authors: 'A. Author', categories: 'hep-th', versions: [{ version: 'v1', created: 'Mon, 2 Apr 2007 19:18:42 GMT' }], update_date: '2008-11-26', authors_parsed: [['Author', 'A.', '']], ...extra });

  it('reports a bad record in the middle with its line and reads the rest', () => {
    const text = [record('0704.0001'), record('0704.0002'), '{"id": "0704.0003", "title": "cut off', record('0704.0004')].join('\n');
    const result = readPaperFile(enc.encode(text), 'arxiv.json');
    expect(result.format).toBe('arxiv');
    expect(result.papers.map((p) => p.id)).toEqual(['0704.0001', '0704.0002', '0704.0004']);
    expect(result.problems).toEqual([{ source: 'arxiv.json', line: 3, severity: 'error', message: expect.stringMatching(/^not valid JSON/) }]);
    expect(result.papers[0].sources).toEqual(['arxiv.json:1']);
  });

  it("converts LaTeX in titles, abstracts and names, and keeps % as a percent sign", () => {
    const text = record('0704.9999', {
      title: 'On $\\alpha$-stable laws\n  and {\\em heavy} tails',
      abstract: '  We improve by 50% the bound $O(n^2)$ of Bal\\\'azs.\n',
      authors_parsed: [['Bal\\\'azs', 'Csaba', ''], ['M\\"uller', 'J.', 'Jr']],
    });
    const [paper] = readPaperFile(enc.encode(text), 'a.jsonl').papers;
    expect(paper.title).toBe('On α-stable laws and heavy tails');
    expect(paper.abstract).toBe('We improve by 50% the bound O(n²) of Balázs.');
    expect(paper.authors).toEqual(['Csaba Balázs', 'J. Müller Jr']);
  });

  it('reads the 2,000-record sample, streamed, with ids, metadata and LaTeX cleaned', async () => {
    const bytes = new Uint8Array(readFileSync(SAMPLE));
    const stream = new PaperFileStream('arxiv-oai-sample.jsonl');
    const papers = [];
    // Chunks that cut lines and characters anywhere, as a file stream does.
    // Yielding between chunks, as a file stream does, keeps the test runner's worker responsive.
    for (let i = 0; i < bytes.length; i += 65_537) {
      papers.push(...stream.push(bytes.subarray(i, i + 65_537)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    papers.push(...stream.end());
    expect(stream.problems()).toEqual([]);
    expect(papers).toHaveLength(2000);
    expect(new Set(papers.map((p) => p.id)).size).toBe(2000);
    const byId = new Map(papers.map((p) => [p.id, p]));
    expect(byId.get('0704.0001')).toMatchObject({
      title: 'Calculation of prompt diphoton production cross sections at Tevatron and LHC energies',
      authors: ['C. Balázs', 'E. L. Berger', 'P. M. Nadolsky', 'C. -P. Yuan'],
      url: 'https://arxiv.org/abs/0704.0001',
      published: '2007-04-02',
      date: 'Apr 2, 2007',
      categories: ['hep-ph'],
      doi: '10.1103/PhysRevD.76.013009',
      venue: 'Phys.Rev.D76:013009,2007',
      arxivId: '0704.0001',
      sources: ['arxiv-oai-sample.jsonl:1'],
    });
    expect(byId.get('0704.0001')!.abstract).toMatch(/^A fully differential calculation in perturbative quantum chromodynamics is presented/);
    expect(byId.get('0704.0002')!.categories).toEqual(['math.CO', 'cs.CG']);
    expect(byId.get('0704.0002')!.abstract).toContain('the (k,ℓ)-pebble game with colors');
    for (const paper of papers) {
      expect(paper.title).not.toMatch(/\n|\s{2}/);
      expect(paper.abstract).not.toMatch(/\n|\s{2}|^\s/);
    }
    // Math the parser can read is converted; what is left is math arXiv itself leaves unbalanced.
    const dollars = papers.filter((p) => /\$/.test(p.title + p.abstract));
    expect(dollars.length).toBeLessThan(25);
  });
});

describe('JSON, CSV and text', () => {
  it('keeps JSON ids, splits author strings, normalises DOIs and dates', () => {
    const [a, b] = readPaperFile(enc.encode(JSON_PAPERS), 'papers.json').papers;
    expect(a).toMatchObject({ id: 'p1', authors: ['Ada Lovelace', 'Alan Turing'], date: '2021-03-04', published: '2021-03-04' });
    expect(b).toMatchObject({ id: 'p2', doi: '10.1000/xyz', url: 'https://doi.org/10.1000/xyz', categories: ['cs.IR', 'cs.LG'] });
  });

  it('reads one pretty-printed JSON object', () => {
    const result = readPaperFile(enc.encode('{\n  "title": "Solo",\n  "abstract": "Alone."\n}\n'), 'one.json');
    expect(result.papers.map((p) => [p.id, p.title])).toEqual([[paperId('Solo'), 'Solo']]);
  });

  it('uses the title slug, with a warning, for an id no URL should carry', () => {
    const result = readPaperFile(enc.encode('{"id": "has spaces", "title": "T one", "abstract": "A."}\n'), 'x.jsonl');
    expect(result.papers[0].id).toBe('t-one');
    expect(result.problems).toEqual([expect.objectContaining({ line: 1, severity: 'warning', message: expect.stringMatching(/id "has spaces"/) })]);
  });

  it('reads CSV with aliased headers in any case, quoted fields over several lines, and bad rows by line', () => {
    const csv = [
      'Paper ID,Title,Summary,Author,Year,Link,Keywords',
      'x1,First paper,"An abstract, with a comma",Ada Lovelace and Alan Turing,2020,https://example.org/1,ml; ir',
      'x2,"Second ""quoted"" paper","A long abstract',
      'over two lines.",Grace Hopper;Alan Kay,2019-05,ftp://nope,',
      ',Only a title,,,,,',
      'x4,Fourth,Abstract four.,,,,',
    ].join('\r\n');
    const result = readPaperFile(enc.encode(csv), 'papers.csv');
    expect(result.format).toBe('csv');
    expect(result.papers.map((p) => [p.id, p.title, p.abstract, p.sources[0]])).toEqual([
      ['x1', 'First paper', 'An abstract, with a comma', 'papers.csv:2'],
      ['x2', 'Second "quoted" paper', 'A long abstract over two lines.', 'papers.csv:3'],
      ['x4', 'Fourth', 'Abstract four.', 'papers.csv:6'],
    ]);
    expect(result.papers[0]).toMatchObject({ authors: ['Ada Lovelace', 'Alan Turing'], published: '2020', url: 'https://example.org/1', categories: ['ml', 'ir'] });
    expect(result.papers[1]).toMatchObject({ authors: ['Grace Hopper', 'Alan Kay'], published: '2019-05' });
    expect(result.papers[1].url).toBeUndefined();
    expect(result.problems.map((p) => [p.line, p.severity, p.message])).toEqual([
      [3, 'warning', expect.stringMatching(/link "ftp:\/\/nope" is not http\(s\)/)],
      [5, 'error', 'no abstract'],
    ]);
  });

  it('says which column a CSV header lacks', () => {
    const result = readPaperFile(enc.encode('title,year\nA,2020\n'), 'x.csv');
    expect(result.papers).toEqual([]);
    expect(errors(result)).toEqual([expect.objectContaining({ line: 1, message: expect.stringMatching(/has no abstract column/) })]);
  });

  it('tells a listing page from a pasted list', () => {
    const name = readdirSync('seeds').find((f) => f.endsWith('.txt'))!;
    const listing = readPaperFile(new Uint8Array(readFileSync(join('seeds', name))), name);
    expect(listing.format).toBe('listing');
    expect(listing.papers.length).toBeGreaterThan(5);
    const pasted = readPaperFile('First Paper\nIts abstract.\n\nSecond Paper\nAnother one.\n', 'notes.txt');
    expect(pasted.format).toBe('pasted');
    expect(pasted.papers.map((p) => p.title)).toEqual(['First Paper', 'Second Paper']);
  });
});

describe('duplicates across files', () => {
  it('keeps the first of the same id or the same title, with a warning naming both places', () => {
    const a = enc.encode('{"id": "k1", "title": "Shared Title", "abstract": "A."}\n{"id": "k2", "title": "Other", "abstract": "B."}\n');
    const b = enc.encode('@misc{k1, title={Different}, abstract={C.}}\n\n@misc{z, title={shared  title!}, abstract={D.}}\n@misc{y, title={New}, abstract={E.}}');
    const result = readPaperFiles([{ name: 'a.jsonl', bytes: a }, { name: 'b.bib', bytes: b }]);
    expect(result.papers.map((p) => p.id)).toEqual(['k1', 'k2', 'y']);
    expect(result.problems).toEqual([
      { source: 'b.bib', line: 1, severity: 'warning', message: '@misc{k1}: duplicate of a.jsonl:1 (same id "k1"); the first is kept' },
      { source: 'b.bib', line: 3, severity: 'warning', message: '@misc{z}: duplicate of a.jsonl:1 (same title); the first is kept' },
    ]);
    expect(result.files.map((f) => [f.name, f.format, f.papers])).toEqual([['a.jsonl', 'json', 2], ['b.bib', 'bibtex', 1]]);
  });

  it('gives a title slug that another paper holds as its own id a suffix instead of dropping the paper', () => {
    const deduper = new PaperDeduper();
    readPaperFile(enc.encode('{"id": "attention", "title": "Transformers", "abstract": "A."}'), 'a.json', { deduper });
    const result = readPaperFile(enc.encode('{"title": "Attention", "abstract": "B."}'), 'b.json', { deduper });
    expect(result.papers.map((p) => p.id)).toEqual(['attention-2']);
    expect(result.problems).toEqual([]);
  });
});
