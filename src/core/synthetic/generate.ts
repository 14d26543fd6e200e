/**
 * Synthetic corpora for scale work: papers re-assembled from real seed papers' sentences, each with a
 * vector placed where its sources' real embeddings are, so that a real query embedded by the real model
 * lands among papers that share its topic words. Deterministic from a seed.
 *
 * Every synthetic paper has a primary source paper and one or two secondary ones drawn from the
 * primary's nearest neighbours. Its abstract takes most of its sentences from the primary, the rest from
 * the secondaries; its title joins a piece of the primary's title with a piece of a secondary's; its
 * vector is the sources' embeddings weighted by their share of the sentences, plus Gaussian noise, made
 * unit length. Papers of one primary form a cluster that shares that paper's words.
 *
 * The noise is shaped like the spread of real papers (by default): part of its covariance is that of the
 * sources' differences from their nearest neighbours, so two papers of one cluster differ along the directions
 * in which real neighbouring papers differ, mostly the leading PCA axes; the rest is spread evenly
 * (DEFAULT_ISOTROPIC_SHARE, fitted to real embeddings). Isotropic noise (the old default, kept as an option)
 * puts 5/6 of its energy outside a 64-d PCA prefix, where real neighbours differ far less (docs/BENCHMARKS.md,
 * "How real the synthetic vectors are").
 */
import { splitSentences } from '../explain';
import { mulberry32 } from '../random';
import type { Paper } from '../types';
import { fitRotation } from '../matryoshka/rotation';
import { dot, normaliseInPlace } from '../vectors';

export interface SourcePaper {
  title: string;
  abstract: string;
}

export interface SyntheticOptions {
  seed: number;
  /**
   * Scale of the noise added to a paper's mixed vector (before normalising): its expected squared norm is
   * noise² · dims whatever its shape (isotropic: this standard deviation in every component).
   */
  noise?: number;
  /**
   * 'neighbours' (default): Gaussian with the covariance of the sources' differences from their `neighbours`
   * nearest sources, but for `isotropicShare` of its energy, spread evenly; 'isotropic': the same in every
   * direction (the generator's first noise).
   */
  noiseShape?: NoiseShape;
  /** With 'neighbours': the share of the noise's energy spread evenly over all directions instead (0 to 1). */
  isotropicShare?: number;
  /** Secondary sources are drawn from this many nearest neighbours of the primary. */
  neighbours?: number;
  /** First and last publication dates, ISO (YYYY-MM-DD). */
  from?: string;
  to?: string;
}

/**
 * Fitted to real embeddings: with 45% of the noise's energy spread evenly and 55% shaped like the seed papers'
 * neighbour differences, corpora of 364, 1,000 and 2,000 papers put as much of their 10-NN differences inside
 * a 64-d PCA prefix as the same numbers of real arXiv papers embedded by bge-small do (0.57 / 0.48 / 0.44), and
 * that share falls with size as the real one does. Pure neighbour-shaped noise keeps too much inside (0.60 at
 * 2,000), isotropic noise too little (0.26). bench/generator-realism.ts measures it.
 */
export const DEFAULT_ISOTROPIC_SHARE = 0.45;

export type NoiseShape = 'neighbours' | 'isotropic';
export const NOISE_SHAPES: readonly NoiseShape[] = ['neighbours', 'isotropic'];

/** 0.03 per component puts a paper at cosine ~0.85-0.9 from its mixed centre at 384 dims: clusters, not copies. */
export const DEFAULT_NOISE = 0.03;

const FIRST_NAMES = [
  'Ada', 'Ahmed', 'Aiko', 'Alejandro', 'Amara', 'Ana', 'Anders', 'Arjun', 'Beatriz', 'Chen', 'Chidi', 'Daniel', 'Dmitri', 'Elena',
  'Emeka', 'Fatima', 'Felix', 'Grace', 'Hana', 'Hiroshi', 'Ines', 'Ivan', 'Jae-won', 'Jonas', 'Julia', 'Kavya', 'Kofi', 'Lars',
  'Laura', 'Lei', 'Lucia', 'Marco', 'Maria', 'Mateo', 'Mei', 'Mohammed', 'Nadia', 'Nikhil', 'Noor', 'Olga', 'Omar', 'Priya',
  'Rafael', 'Rin', 'Sara', 'Sebastian', 'Seo-yeon', 'Sofia', 'Tariq', 'Thomas', 'Wei', 'Yara', 'Yusuf', 'Zhang', 'Zoe',
];
const LAST_NAMES = [
  'Abe', 'Adeyemi', 'Alvarez', 'Andersen', 'Bauer', 'Bianchi', 'Chen', 'Costa', 'Das', 'Dubois', 'Eriksson', 'Fischer', 'Garcia',
  'Gupta', 'Haddad', 'Hansen', 'Hoffmann', 'Ivanova', 'Jensen', 'Kim', 'Kowalski', 'Kumar', 'Larsen', 'Li', 'Liu', 'Lopez',
  'Martin', 'Mensah', 'Moreau', 'Murphy', 'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Park', 'Patel', 'Petrov', 'Rossi',
  'Sato', 'Schmidt', 'Silva', 'Singh', 'Suzuki', 'Tanaka', 'Torres', 'Wang', 'Weber', 'Wu', 'Yamamoto', 'Yilmaz', 'Zhao',
];

/** A category for a source paper from the words it uses; the corpus is machine learning, as the seeds are. */
const CATEGORY_RULES: [RegExp, string][] = [
  [/\b(image|vision|visual|pixel|video|segmentation|diffusion)\b/i, 'cs.CV'],
  [/\b(language model|llm|text|token|translation|linguistic|sentence)\b/i, 'cs.CL'],
  [/\b(retriev\w*|search|ranking|recommend\w*)\b/i, 'cs.IR'],
  [/\b(reinforcement|agent|policy|reward|planning)\b/i, 'cs.AI'],
  [/\b(theorem|provabl\w*|bound|convergence|statistical)\b/i, 'stat.ML'],
  [/\b(neuro\w*|brain|cortex)\b/i, 'q-bio.NC'],
];
const SECONDARY_CATEGORIES = ['cs.LG', 'cs.AI', 'stat.ML', 'cs.NE'];

const TITLE_JOINERS = [' for ', ' via ', ' with ', ': ', ' under ', ' beyond '];

interface PreparedSource {
  sentences: string[];
  titleHead: string;
  titleTail: string;
  categories: string[];
  neighbours: Int32Array;
}

export interface SyntheticPaper {
  paper: Paper;
  /** Unit length, `dims` components, in the model's space (not rotated). */
  vector: Float32Array;
  /** Index of the primary source paper: papers of one primary form one topic cluster. */
  primary: number;
}

/**
 * An endless, deterministic stream of synthetic papers over `sources` and their embeddings
 * (`vectors`: sources.length × dims, unit rows, the model's space).
 */
export function* generatePapers(
  sources: readonly SourcePaper[],
  vectors: Float32Array,
  dims: number,
  options: SyntheticOptions,
): Generator<SyntheticPaper> {
  if (sources.length < 2 || vectors.length !== sources.length * dims) {
    throw new Error(`generatePapers needs at least 2 sources with one ${dims}-d vector each`);
  }
  const random = mulberry32(options.seed);
  const noise = options.noise ?? DEFAULT_NOISE;
  const prepared = prepareSources(sources, vectors, dims, options.neighbours ?? 8);
  const shape = options.noiseShape ?? 'neighbours';
  if (!NOISE_SHAPES.includes(shape)) throw new Error(`noiseShape is ${NOISE_SHAPES.join(' or ')}, not "${shape}"`);
  const factor = shape === 'neighbours' ? neighbourNoiseFactor(vectors, dims, prepared, noise, options.isotropicShare ?? DEFAULT_ISOTROPIC_SHARE) : null;
  const draws = new Float64Array(dims);
  const fromDay = dayNumber(options.from ?? '2015-01-01');
  const toDay = dayNumber(options.to ?? '2026-11-30');
  const gaussian = gaussianSource(random);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];

  for (let n = 0; ; n++) {
    const primary = Math.floor(random() * sources.length);
    const p = prepared[primary];
    const secondaryCount = 1 + Math.floor(random() * 2);
    const secondaries = Array.from({ length: secondaryCount }, () => p.neighbours[Math.floor(random() * p.neighbours.length)]);

    const sentenceCount = 4 + Math.floor(random() * 5);
    const fromPrimary = Math.max(2, Math.round(sentenceCount * (0.55 + random() * 0.25)));
    const picks: { source: number; sentence: string }[] = [];
    const used = new Set<string>();
    for (let i = 0; i < sentenceCount; i++) {
      const source = i < fromPrimary ? primary : secondaries[i % secondaries.length];
      // A sentence once per abstract; a short source may run out, and then the abstract is shorter.
      const fresh = prepared[source].sentences.filter((s) => !used.has(s));
      if (fresh.length === 0) continue;
      const sentence = pick(fresh);
      used.add(sentence);
      picks.push({ source, sentence });
    }
    // The primary's sentences open the abstract, as a paper states its own topic first.
    const abstract = picks.map((x) => x.sentence).join(' ');
    const other = prepared[secondaries[0]];
    const title = `${p.titleHead}${pick(TITLE_JOINERS)}${lowerFirst(other.titleTail)}`;

    const vector = new Float32Array(dims);
    for (const { source } of picks) {
      const weight = 1 / picks.length;
      for (let d = 0; d < dims; d++) vector[d] += weight * vectors[source * dims + d];
    }
    // dims draws for either shape, so the text of the corpus does not depend on the shape of its noise.
    for (let d = 0; d < dims; d++) draws[d] = gaussian();
    if (factor) {
      for (let c = 0; c < dims; c++) {
        let sum = 0;
        const base = c * dims;
        for (let r = 0; r < dims; r++) sum += factor[base + r] * draws[r];
        vector[c] += sum;
      }
    } else {
      for (let d = 0; d < dims; d++) vector[d] += noise * draws[d];
    }
    normaliseInPlace(vector);

    const authorCount = 1 + Math.floor(random() * 6);
    const authors = Array.from({ length: authorCount }, () => `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`);
    const published = isoDay(fromDay + Math.floor(random() * (toDay - fromDay + 1)));
    const categories = [...p.categories];
    if (random() < 0.4) {
      const extra = pick(SECONDARY_CATEGORIES);
      if (!categories.includes(extra)) categories.push(extra);
    }
    yield {
      paper: {
        id: `synth-${String(n).padStart(7, '0')}`,
        title,
        abstract,
        authors,
        date: published,
        published,
        categories,
        sources: [],
      },
      vector,
      primary,
    };
  }
}

function prepareSources(sources: readonly SourcePaper[], vectors: Float32Array, dims: number, k: number): PreparedSource[] {
  return sources.map((source, i) => {
    const sentences = splitSentences(source.abstract)
      .map((s) => s.text.trim())
      .filter((s) => s.length >= 30);
    const title = source.title.trim();
    const [head, tail] = splitTitle(title);
    const text = `${source.title} ${source.abstract}`;
    const primary = CATEGORY_RULES.find(([rule]) => rule.test(text))?.[1] ?? 'cs.LG';
    const row = vectors.subarray(i * dims, (i + 1) * dims);
    const scored = sources.map((_, j) => ({ j, score: j === i ? -Infinity : dot(row, vectors, dims, j * dims) }));
    scored.sort((a, b) => b.score - a.score);
    return {
      sentences: sentences.length > 0 ? sentences : [source.abstract],
      titleHead: head,
      titleTail: tail,
      categories: primary === 'cs.LG' ? ['cs.LG'] : [primary, 'cs.LG'],
      neighbours: Int32Array.from(scored.slice(0, Math.min(k, sources.length - 1)).map((s) => s.j)),
    };
  });
}

/**
 * F (dims × dims, row-major) with F·Fᵀ = (1 − isotropicShare) · C + isotropicShare · noise² · I, where C is the
 * covariance of the sources' differences from their nearest neighbours scaled to a trace of noise² · dims: F·z for
 * a standard normal z is the shaped noise, of the same expected energy as the isotropic one. From the eigenbasis
 * of C (fitRotation of the difference vectors: row i its i-th axis, energy its variance).
 */
export function neighbourNoiseFactor(
  vectors: Float32Array,
  dims: number,
  prepared: readonly { neighbours: Int32Array }[],
  noise: number,
  isotropicShare = 0,
): Float64Array {
  if (!(isotropicShare >= 0 && isotropicShare <= 1)) throw new Error(`isotropicShare is from 0 to 1, not ${isotropicShare}`);
  const pairs = prepared.reduce((n, p) => n + p.neighbours.length, 0);
  const differences = new Float32Array(pairs * dims);
  let row = 0;
  prepared.forEach((p, i) => {
    for (const j of p.neighbours) {
      for (let d = 0; d < dims; d++) differences[row * dims + d] = vectors[i * dims + d] - vectors[j * dims + d];
      row++;
    }
  });
  const { matrix, energy } = fitRotation(differences, dims);
  let trace = 0;
  for (const e of energy) trace += Math.max(0, e);
  if (!(trace > 0)) throw new Error('The sources are all the same vector: no spread to shape the noise by');
  const scale = ((1 - isotropicShare) * noise * noise * dims) / trace;
  const even = isotropicShare * noise * noise;
  const factor = new Float64Array(dims * dims);
  for (let r = 0; r < dims; r++) {
    const sd = Math.sqrt(Math.max(0, energy[r]) * scale + even);
    for (let c = 0; c < dims; c++) factor[c * dims + r] = matrix[r * dims + c] * sd;
  }
  return factor;
}

/** "Matryoshka Representation Learning" → ["Matryoshka Representation", "Representation Learning"]; "A: B" → ["A", "B"]. */
function splitTitle(title: string): [string, string] {
  const colon = title.indexOf(': ');
  if (colon > 0) return [title.slice(0, colon), title.slice(colon + 2)];
  const words = title.split(/\s+/);
  if (words.length < 3) return [title, title];
  const cut = Math.ceil(words.length / 2);
  return [words.slice(0, cut).join(' '), words.slice(Math.max(1, cut - 1)).join(' ')];
}

function lowerFirst(text: string): string {
  // Keep acronyms and names ("BERT", "LoRA") as written; lower only an ordinary capitalised word.
  return /^[A-Z][a-z]+\b/.test(text) && !/^[A-Z][a-z]+[A-Z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

/** Standard normal deviates by Box-Muller, two per pair of uniforms. */
function gaussianSource(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function dayNumber(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
}

function isoDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}
