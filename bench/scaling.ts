/**
 * Scaling benchmark: how time and memory grow with page size, on synthetic pages of doubling
 * size. A step that is linear in the page doubles its time when the page doubles (`growth`
 * near 2.0); one that is quadratic quadruples it (near 4.0). Real pages are small (the corpus
 * tops out near 1,400 elements), so a quadratic step hides there and shows only on the large
 * pages the limits still admit (up to 200,000 elements).
 *
 *   node dist/bench/scaling.js [--sizes 5000,10000,20000,40000] [--shapes flat,sections] [--engine linkedom|jsdom]
 *
 * Shapes:
 * - `flat`: a headline, then one container of `<div><p>words <a>link</a></p></div>` items: thousands
 *   of siblings in one container, the worst case for anything that compares a block with the
 *   rest of its container.
 * - `sections`: an article of `<section>`s, each a heading, eight paragraphs and a short list,
 *   with a nav bar and a footer: a very long page shaped like a real one.
 *
 * Each (shape, size) runs in its own child process (this file with `--child`), so a peak RSS
 * figure belongs to that page alone. The child first warms up on a small page, then times bare
 * Readability (`readabilityBaseline`: prepare, parse, Readability) and `moderate()` once each.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { loadModel } from '../src/classify/model.js';
import { formatTable } from '../src/eval/quality.js';
import { readabilityBaseline } from '../src/extract/readability.js';
import { moderate } from '../src/pipeline.js';
import { mulberry32 } from '../src/train/seeded-random.js';
import type { EngineName } from '../src/types.js';

type Shape = 'flat' | 'sections';
const SHAPES: readonly Shape[] = ['flat', 'sections'];

const USAGE = 'usage: node dist/bench/scaling.js [--sizes 5000,10000,20000,40000] [--shapes flat,sections] [--engine linkedom|jsdom]';

/** What a child measures on one page. */
interface ChildResult {
  elements: number;
  blocks: number;
  readabilityMs: number;
  moderateMs: number;
  peakRssMb: number;
}

const WORDS = ['harbour', 'council', 'dredging', 'quay', 'fleet', 'season', 'report', 'budget', 'storm', 'ferry', 'tide', 'crew', 'repair', 'plan', 'vote', 'channel'];

function words(next: () => number, count: number): string {
  return Array.from({ length: count }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
}

/** A synthetic page of about `elements` elements in the given shape. */
export function syntheticPage(shape: Shape, elements: number): string {
  const next = mulberry32(elements * 7 + (shape === 'flat' ? 1 : 2));
  const parts: string[] = ['<!DOCTYPE html><html lang="en"><head><title>Harbour report</title></head><body>'];
  let count = 5;
  if (shape === 'flat') {
    parts.push('<article><h1>Harbour report</h1>');
    for (let i = 0; count < elements; i++, count += 3) {
      parts.push(`<div class="c${i % 50}"><p>${words(next, 3)} <a href="/x${i}">link ${i}</a></p></div>`);
    }
    parts.push('</article>');
  } else {
    parts.push('<nav><ul>');
    for (let i = 0; i < 20; i++, count += 2) parts.push(`<li><a href="/s${i}">${words(next, 1)}</a></li>`);
    parts.push('</ul></nav><main><article><h1>Harbour report</h1>');
    for (let s = 0; count < elements; s++) {
      parts.push(`<section><h2>${words(next, 4)}</h2>`);
      for (let p = 0; p < 8; p++) parts.push(`<p>${words(next, 40)} <a href="/r${s}-${p}">${words(next, 2)}</a> ${words(next, 10)}.</p>`);
      parts.push('<ul>');
      for (let l = 0; l < 5; l++) parts.push(`<li>${words(next, 6)}</li>`);
      parts.push('</ul></section>');
      count += 1 + 1 + 16 + 1 + 5;
    }
    parts.push('</article></main><footer><p>© Harbour Gazette</p></footer>');
  }
  parts.push('</body></html>');
  return parts.join('');
}

function countElements(html: string): number {
  return html.match(/<[a-z]/gi)?.length ?? 0;
}

function runChild(shape: Shape, elements: number, engine: EngineName): void {
  const model = loadModel();
  // Warm up the code paths (JIT) on a small page of the same shape.
  moderate(syntheticPage(shape, 500), { model, engine });
  const html = syntheticPage(shape, elements);
  let start = performance.now();
  readabilityBaseline(html, { engine });
  const readabilityMs = performance.now() - start;
  start = performance.now();
  const article = moderate(html, { model, engine });
  const moderateMs = performance.now() - start;
  const result: ChildResult = {
    elements: countElements(html),
    blocks: article.blocks.length,
    readabilityMs,
    moderateMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function spawnChild(shape: Shape, elements: number, engine: EngineName): ChildResult | string {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [self, '--child', shape, String(elements), engine], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) return `child failed (${child.status ?? child.signal}): ${child.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as ChildResult;
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: {
      child: { type: 'boolean', default: false },
      sizes: { type: 'string', default: '5000,10000,20000,40000' },
      shapes: { type: 'string', default: SHAPES.join(',') },
      engine: { type: 'string', default: 'linkedom' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.child) {
    runChild(positionals[0] as Shape, Number(positionals[1]), positionals[2] as EngineName);
    return;
  }
  const engine = values.engine as EngineName;
  if (engine !== 'linkedom' && engine !== 'jsdom') throw new Error(`${USAGE}\n--engine must be linkedom or jsdom`);
  const sizes = values.sizes.split(',').map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 100)) throw new Error(`${USAGE}\n--sizes takes whole numbers of 100 or more`);
  const shapes = values.shapes.split(',') as Shape[];
  if (shapes.some((shape) => !SHAPES.includes(shape))) throw new Error(`${USAGE}\n--shapes takes ${SHAPES.join(', ')}`);

  console.log(`scaling: synthetic pages on ${engine}, one child process per page; growth = time ratio over size ratio x 2 (2.0 linear, 4.0 quadratic)\n`);
  const header = ['shape', 'elements', 'blocks', 'Readability ms', 'moderate ms', 'moderate us/element', 'growth', 'peak RSS MB'];
  const rows: string[][] = [];
  for (const shape of shapes) {
    let previous: ChildResult | null = null;
    for (const size of sizes) {
      const result = spawnChild(shape, size, engine);
      if (typeof result === 'string') {
        rows.push([shape, String(size), '-', '-', '-', '-', '-', result]);
        previous = null;
        continue;
      }
      const growth = previous ? ((result.moderateMs / previous.moderateMs) / (result.elements / previous.elements)) * 2 : null;
      rows.push([
        shape,
        String(result.elements),
        String(result.blocks),
        result.readabilityMs.toFixed(0),
        result.moderateMs.toFixed(0),
        ((result.moderateMs * 1000) / result.elements).toFixed(1),
        growth === null ? '' : growth.toFixed(2),
        result.peakRssMb.toFixed(0),
      ]);
      previous = result;
    }
  }
  console.log(formatTable(header, rows));
}

main();
