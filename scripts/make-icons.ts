/**
 * Writes the PWA icons in public/icons/ from the logo (the header's SVG: a rounded square, three lines
 * and a circle). Chromium rasterises the SVG, so the PNGs are anti-aliased without an image library.
 * Run after changing the logo: `npx tsx scripts/make-icons.ts`; the PNGs are committed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/e2e/browser';

const ACCENT = '#4453c4'; // --ps-accent (light), index.html
const ON_ACCENT = '#ffffff';
const GLYPH = `<path d="M10 11h12M10 16h8M10 21h5" stroke="${ON_ACCENT}" stroke-width="2.4" stroke-linecap="round"/>
  <circle cx="21.5" cy="20.5" r="3.2" fill="none" stroke="${ON_ACCENT}" stroke-width="2"/>`;

/** The favicon's shape on a transparent background ("any" purpose). */
const standard = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="2 2 28 28">
  <rect x="3" y="3" width="26" height="26" rx="8" fill="${ACCENT}"/>${GLYPH}</svg>`;

/**
 * Maskable: platforms crop to their own shape (circle, squircle), so the colour fills the whole square
 * and the glyph stays inside the central safe zone, a circle of 80% of the width (radius 12.8 here; the
 * glyph's farthest point, the circle's edge, is 11.6 from the centre).
 */
const maskable = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <rect width="32" height="32" fill="${ACCENT}"/>
  ${GLYPH}</svg>`;

const OUT = resolve(import.meta.dirname, '..', 'public', 'icons');
const icons: [file: string, svg: string, size: number][] = [
  ['icon-192.png', standard, 192],
  ['icon-512.png', standard, 512],
  ['icon-maskable-512.png', maskable, 512],
];

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  await mkdir(OUT, { recursive: true });
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const [file, svg, size] of icons) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`,
    );
    await writeFile(join(OUT, file), await page.screenshot({ omitBackground: true, type: 'png' }));
    console.log(`public/icons/${file}`);
  }
} finally {
  await browser.close();
}
