/**
 * Bytes → text: which encoding a paper file is in (UTF-8, UTF-16 LE/BE with or without a byte-order mark,
 * else Windows-1252 for old Latin-1 BibTeX), and whether it is text at all. Only the head of the file is
 * looked at, so the same check serves a whole file and the first chunk of a stream.
 */
import type { TextEncodingName } from './types';

/** How much of a file's head decides its encoding and whether it is binary. */
export const SNIFF_BYTES = 64 * 1024;

export type EncodingVerdict =
  | { encoding: TextEncodingName; /** Said to the user as a warning (e.g. not UTF-8, read as Windows-1252). */ note?: string }
  | { refused: string };

/** Known containers, each with what to do instead. Checked on the first bytes. */
const MAGIC: { bytes: number[]; what: string }[] = [
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document, not a list of papers; export the references as BibTeX, JSON or CSV' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (or a .docx/.xlsx document); unpack it and give the file inside' },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed; decompress it first (gunzip)' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed; decompress it first (bunzip2)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed; decompress it first (unxz)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive; unpack it first' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed; decompress it first (unzstd)' },
  { bytes: [0xff, 0xfe, 0x00, 0x00], what: 'UTF-32 text, which papersift does not read; save it as UTF-8' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], what: 'UTF-32 text, which papersift does not read; save it as UTF-8' },
];

const startsWith = (head: Uint8Array, bytes: number[]) => bytes.every((b, i) => head[i] === b);

/**
 * The encoding of a file from its first bytes (up to SNIFF_BYTES; pass the whole head when shorter), or
 * why it is refused. `complete` says the head is the whole file, so a multi-byte character cut at its end
 * is a real error rather than the sample's edge.
 */
export function sniffEncoding(head: Uint8Array, fileName: string, complete = head.length < SNIFF_BYTES): EncodingVerdict {
  for (const magic of MAGIC) if (startsWith(head, magic.bytes)) return { refused: `${fileName} is ${magic.what}` };
  let encoding: TextEncodingName | undefined;
  if (startsWith(head, [0xef, 0xbb, 0xbf])) encoding = 'utf-8';
  else if (startsWith(head, [0xff, 0xfe])) encoding = 'utf-16le';
  else if (startsWith(head, [0xfe, 0xff])) encoding = 'utf-16be';
  else encoding = utf16WithoutBom(head);
  const sample = encoding ?? 'utf-8';
  // Streaming decode leaves a character cut at the sample's edge pending instead of counting it invalid.
  const text = new TextDecoder(sample).decode(head.subarray(0, SNIFF_BYTES), { stream: !complete });
  let controls = 0;
  let invalid = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Tab, line feed, vertical tab, form feed, carriage return and DOS's end-of-file mark turn up in text files.
    if (c === 0 || (c < 32 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13 && c !== 26) || c === 127) controls++;
    else if (c === 0xfffd) invalid++;
  }
  // Text files hold no NUL and next to no other control characters; random or compiled bytes hold ~10%.
  if (controls > 0 && (text.includes('\u0000') || controls > Math.max(2, text.length / 200))) {
    return { refused: `${fileName} is binary, not text (${controls} control characters in its first ${Math.min(head.length, SNIFF_BYTES)} bytes); give a BibTeX, JSON, JSON-lines, CSV or plain-text list of papers` };
  }
  if (encoding) return { encoding };
  if (invalid > 0) {
    // Not UTF-8 but no control characters either: an 8-bit text encoding, most likely Latin-1 / Windows-1252.
    return { encoding: 'windows-1252', note: `${fileName} is not valid UTF-8; read it as Windows-1252 (Latin-1). Save it as UTF-8 if accents look wrong` };
  }
  return { encoding: 'utf-8' };
}

/**
 * UTF-16 without a byte-order mark: text in Latin script puts a NUL in every other byte (the high byte of
 * each code unit), after the character in little-endian, before it in big-endian.
 */
function utf16WithoutBom(head: Uint8Array): TextEncodingName | undefined {
  const pairs = Math.floor(Math.min(head.length, SNIFF_BYTES) / 2);
  if (pairs === 0) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    if (head[i] === 0) evenNul++;
    if (head[i + 1] === 0) oddNul++;
  }
  if (oddNul > pairs * 0.3 && evenNul < pairs * 0.05) return 'utf-16le';
  if (evenNul > pairs * 0.3 && oddNul < pairs * 0.05) return 'utf-16be';
  return undefined;
}
