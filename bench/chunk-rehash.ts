/**
 * What re-checking a stored chunk costs in the browser (src/store/chunk-store.ts re-hashes every file it
 * reads back from IndexedDB): in headless Chromium, the time to read N records of a given size from
 * IndexedDB, one get per record as the store does, against the time to sha256 their bytes (WebCrypto).
 *
 *   npx tsx bench/chunk-rehash.ts [--records 200] [--sizes 4096,29000,212000] [--rounds 3]
 *
 * The page is served from http://localhost/ by request interception (a secure context, so WebCrypto
 * exists), nothing else is fetched. Medians of the rounds; the machine is shared, so compare the columns
 * of one row (same moment) more than rows.
 */
import { parseArgs } from 'node:util';
import { launchProfile } from '../test/e2e/browser';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200' },
    sizes: { type: 'string', default: '4096,29000,212000' },
    rounds: { type: 'string', default: '3' },
  },
});
const records = Number(values.records);
const sizes = values.sizes.split(',').map(Number);
const rounds = Number(values.rounds);

const profile = await launchProfile();
try {
  const { page, context } = profile;
  await context.addInitScript('globalThis.__name = (fn) => fn;'); // tsx's keepNames wrapper
  await context.route('http://localhost/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>rehash</title>' }));
  await page.goto('http://localhost/');
  const rows: string[] = [];
  for (const size of sizes) {
    const result = await page.evaluate(
      async ({ records, size, rounds }) => {
        const open = () =>
          new Promise<IDBDatabase>((resolve, reject) => {
            const request = indexedDB.open(`rehash-${size}`, 1);
            request.onupgradeneeded = () => request.result.createObjectStore('chunks');
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
        const done = (request: IDBRequest) => new Promise((resolve, reject) => ((request.onsuccess = () => resolve(request.result)), (request.onerror = () => reject(request.error))));
        let db = await open();
        for (let i = 0; i < records; i++) {
          const data = new Uint8Array(size);
          crypto.getRandomValues(data.subarray(0, Math.min(size, 65536)));
          data[0] = i & 0xff;
          await done(db.transaction('chunks', 'readwrite').objectStore('chunks').put({ name: `b-${i}`, data }, `k${i}`));
        }
        db.close();
        const reads: number[] = [];
        const hashes: number[] = [];
        for (let round = 0; round < rounds; round++) {
          db = await open();
          const got: Uint8Array[] = [];
          let start = performance.now();
          for (let i = 0; i < records; i++) got.push(((await done(db.transaction('chunks').objectStore('chunks').get(`k${i}`))) as { data: Uint8Array }).data);
          reads.push(performance.now() - start);
          start = performance.now();
          for (const data of got) await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
          hashes.push(performance.now() - start);
          db.close();
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        return { read: median(reads), hash: median(hashes) };
      },
      { records, size, rounds },
    );
    const perRead = (result.read / records) * 1000;
    const perHash = (result.hash / records) * 1000;
    rows.push(`| ${(size / 1000).toFixed(size < 10000 ? 1 : 0)} kB | ${perRead.toFixed(0)} µs | ${perHash.toFixed(0)} µs | ${(perHash / perRead).toFixed(2)} |`);
  }
  process.stdout.write(
    [
      '```',
      `npx tsx bench/chunk-rehash.ts --records ${records} --sizes ${values.sizes} --rounds ${rounds}`,
      '```',
      '',
      `Chromium ${profile.version}, ${records} records per size, medians of ${rounds} rounds (shared machine).`,
      '',
      '| record | IndexedDB get, per record | sha256, per record | re-hash / read |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await profile.close();
}
