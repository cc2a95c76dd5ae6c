/**
 * Bare Readability as a whole process, the reference of bench/speed's whole-process section:
 * every .html file in DIR (name order) through `readabilityBaseline` (script and style stripped,
 * the engine's DOM, Readability), one line per page on stdout with the article's text length,
 * or `error` when the page threw.
 *
 *   node dist/bench/bare-readability.js --engine linkedom|jsdom DIR
 */
import { readFileSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { isEngineName } from '../src/dom/engine.js';
import { readabilityBaseline } from '../src/extract/readability.js';
import { listHtmlFiles } from '../src/input/html-files.js';

const USAGE = 'usage: node dist/bench/bare-readability.js --engine linkedom|jsdom DIR';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { engine: { type: 'string' } }, allowPositionals: true, strict: true });
  const engine = values.engine;
  if (engine === undefined || !isEngineName(engine) || positionals.length !== 1) throw new Error(USAGE);
  let errors = 0;
  for (const file of listHtmlFiles(positionals[0], { recursive: false })) {
    let line: string;
    try {
      line = String(readabilityBaseline(readFileSync(file, 'utf8'), { engine }).text.length);
    } catch {
      errors++;
      line = 'error';
    }
    process.stdout.write(`${line}\n`);
    // jsdom frees a closed window only once the event loop turns (as `winnow run` does).
    if (engine === 'jsdom') await yieldToEventLoop();
  }
  if (errors > 0) process.stderr.write(`bare-readability: ${errors} page(s) threw\n`);
}

try {
  await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
