/**
 * Parser check: does the default engine's tree hold the text a browser's parser would show?
 *
 *   node dist/bench/parser-check.js [--engine linkedom|jsdom] [--threshold 0.05] [--limit N]
 *
 * For every page of `../shared/corpus/wcxb-dev/html/*.html.gz` (gzip, UTF-8), the page goes
 * through the pipeline's parse step (`preparePage` + `parsePage`) and, separately, through a
 * plain parse5 parse (the HTML standard's tree builder, the one jsdom uses). From each body it
 * counts the words of the visible text: text nodes outside script, style, noscript, template and
 * svg (svg is cut by design, so it is left out of the reference too), whitespace-normalised. A
 * page "loses" when the engine's body has more than `--threshold` (default 5%) fewer words than
 * the reference; a refused page (too_deep, too_large) loses all of them. The lost pages are
 * listed with their word counts.
 *
 * The corpus is read in place, never copied. `WINNOW_CORPUS_DIR` may name the corpus folder
 * holding `wcxb-dev/`. When the set is absent the script says so and exits 0.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

import { parse as parse5Parse, defaultTreeAdapter, type DefaultTreeAdapterMap } from 'parse5';

import { parsePage } from '../src/dom/engine.js';
import { CORPUS_ENV, repoRoot } from '../src/eval/corpus.js';
import { preparePage } from '../src/input/prepare.js';
import { isEngineName } from '../src/dom/engine.js';
import type { EngineName } from '../src/types.js';

const SET = 'wcxb-dev';

/** Elements whose text no reader sees (svg: cut on purpose, see the doc comment). */
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'svg']);

interface PageCount {
  id: string;
  reference: number;
  engine: number;
  /** Error code when the engine refused the page. */
  refused?: string;
}

function setDir(): string | null {
  const override = process.env[CORPUS_ENV];
  const base = override && override.trim() !== '' ? resolve(override) : (() => {
    const root = repoRoot();
    return root === null ? null : resolve(root, '..', 'shared', 'corpus');
  })();
  if (base === null) return null;
  const dir = join(base, SET, 'html');
  return existsSync(dir) ? dir : null;
}

/** Words of a whitespace-normalised text. */
function wordCount(text: string): number {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  return trimmed === '' ? 0 : trimmed.split(' ').length;
}

/** Visible text of a DOM element (either engine), walked child by child. */
function domText(root: Node | null): string {
  if (!root) return '';
  const parts: string[] = [];
  const walk = (node: Node): void => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 3) parts.push((child as Text).data);
      else if (child.nodeType === 1 && !HIDDEN.has((child as Element).localName.toLowerCase())) walk(child);
    }
  };
  walk(root);
  return parts.join(' ');
}

type P5Node = DefaultTreeAdapterMap['node'];

/** Visible text of a parse5 default-tree element. */
function parse5Text(root: P5Node | undefined): string {
  if (!root) return '';
  const parts: string[] = [];
  const walk = (node: P5Node): void => {
    for (const child of defaultTreeAdapter.getChildNodes(node as DefaultTreeAdapterMap['parentNode'])) {
      if (defaultTreeAdapter.isTextNode(child)) parts.push(child.value);
      else if (defaultTreeAdapter.isElementNode(child) && !HIDDEN.has(child.tagName)) walk(child);
    }
  };
  walk(root);
  return parts.join(' ');
}

function referenceWords(html: string): number {
  // Scripting off, as in jsdom without runScripts: noscript content is parsed as markup.
  const document = parse5Parse(html, { scriptingEnabled: false });
  const htmlElement = document.childNodes.find((node) => defaultTreeAdapter.isElementNode(node) && node.tagName === 'html');
  const body = htmlElement && 'childNodes' in htmlElement ? htmlElement.childNodes.find((node) => defaultTreeAdapter.isElementNode(node) && node.tagName === 'body') : undefined;
  return wordCount(parse5Text(body));
}

function engineWords(html: string, engine: EngineName): number {
  const page = parsePage(preparePage(html), { engine });
  try {
    return wordCount(domText(page.document.body));
  } finally {
    page.dispose();
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'linkedom' },
      threshold: { type: 'string', default: '0.05' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  if (!isEngineName(values.engine)) throw new Error(`--engine must be linkedom or jsdom, not ${values.engine}`);
  const engine = values.engine;
  const threshold = Number(values.threshold);
  const dir = setDir();
  if (dir === null) {
    console.log(`corpus set ${SET} not found (../shared/corpus/${SET} beside the repo, or ${CORPUS_ENV}): skipped`);
    return;
  }
  const decoder = new TextDecoder('utf-8');
  let files = readdirSync(dir).filter((name) => name.endsWith('.html.gz')).sort();
  if (values.limit) files = files.slice(0, Number(values.limit));

  const lost: PageCount[] = [];
  const gained: PageCount[] = [];
  let referenceTotal = 0;
  let engineTotal = 0;
  for (const file of files) {
    const id = file.slice(0, -'.html.gz'.length);
    const html = decoder.decode(gunzipSync(readFileSync(join(dir, file))));
    const reference = referenceWords(html);
    let count: PageCount;
    try {
      count = { id, reference, engine: engineWords(html, engine) };
    } catch (error) {
      count = { id, reference, engine: 0, refused: (error as { code?: string }).code ?? (error as Error).message };
    }
    referenceTotal += count.reference;
    engineTotal += count.engine;
    if (count.engine < count.reference * (1 - threshold)) lost.push(count);
    else if (count.engine > count.reference * (1 + threshold) + 5) gained.push(count);
  }

  const pct = (part: number, whole: number) => (whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1));
  console.log(`engine ${engine}, ${files.length} pages of ${SET}; words: reference ${referenceTotal}, engine ${engineTotal}`);
  console.log(`pages losing more than ${pct(threshold, 1)}% of the reference words: ${lost.length} of ${files.length}`);
  for (const page of lost) {
    const note = page.refused ? ` (refused: ${page.refused})` : '';
    console.log(`  ${page.id}: ${page.engine} of ${page.reference} words, ${pct(page.reference - page.engine, page.reference)}% lost${note}`);
  }
  console.log(`pages with more than ${pct(threshold, 1)}% (and 5) more words than the reference: ${gained.length}`);
  for (const page of gained) console.log(`  ${page.id}: ${page.engine} against ${page.reference} words`);
}

main();
