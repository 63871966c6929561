/**
 * Screenshot of an exported web page for the README (docs/web-page.png): serves the export folder,
 * draws a digit on the page's canvas in headless Chromium and captures the page with its results.
 * Prints how long the page took to load the model and to run its first inference.
 *
 *   npx tsx scripts/web-page-screenshot.ts OUT/web [--out docs/web-page.png]
 *
 * OUT/web is what `wemoe demo` writes (the WEMoE depth-2 model of the built-in suite).
 */
import { parseArgs } from 'node:util';
import { serveExport } from '../src/export/serve.js';
import { missingSystemDependency } from '../src/util/system-deps.js';
import { launchChromium } from '../test/support/chromium.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', default: 'docs/web-page.png' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: npx tsx scripts/web-page-screenshot.ts EXPORT_DIR [--out FILE.png]\n');
  process.exit(2);
}
const missing = missingSystemDependency('chromium');
if (missing) {
  process.stderr.write(`${missing}\n`);
  process.exit(1);
}

/** A "7" in canvas fractions: the bar, then the stem. */
const STROKE: readonly [number, number][] = [
  [0.28, 0.25],
  [0.72, 0.25],
  [0.45, 0.8],
];

const server = await serveExport(positionals[0]);
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  const began = performance.now();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  const loadMs = performance.now() - began;
  const box = (await page.locator('#draw').boundingBox())!;
  const at = ([x, y]: readonly [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(STROKE[0]));
  await page.mouse.down();
  for (const point of STROKE.slice(1)) await page.mouse.move(...at(point), { steps: 12 });
  await page.mouse.up();
  await page.waitForSelector('body[data-runs]', { timeout: 60_000 });
  const firstMs = await page.getAttribute('body', 'data-first-inference-ms');
  await page.screenshot({ path: values.out, fullPage: true });
  console.log(`${values.out}: model loaded in ${loadMs.toFixed(0)} ms, first inference ${firstMs} ms`);
} finally {
  await browser.close();
  await server.close();
}
