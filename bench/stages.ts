/**
 * Stage profile: CPU time per page of each step of `moderate()`, run as `analyzePage` and
 * `articleFrom` run them, with bare Readability (`readabilityBaseline`) and the whole
 * `moderate()` timed on the same pages in the same process for scale.
 *
 *   node dist/bench/stages.js [--engine linkedom|jsdom] [--repeat N] [--source corpus|fixtures]
 *
 * Times are process CPU time (`process.cpuUsage`, all threads), so garbage collection on helper
 * threads counts where it happens. A stage's time includes the collections its allocations
 * trigger, whoever made the garbage. Use it to see where a page's time goes; use bench/speed for
 * the figures compared with Readability on jsdom. The steps mirror src/pipeline.ts: keep them in
 * step with it.
 */
import { parseArgs } from 'node:util';

import { classifyBlocks, repeatsWithKeptBlocks } from '../src/classify/classify.js';
import { loadModel } from '../src/classify/model.js';
import { parsePage } from '../src/dom/engine.js';
import { corpusDir, loadCorpus } from '../src/eval/corpus.js';
import { describeError, formatTable, stripFixtureLabels } from '../src/eval/quality.js';
import { assembleHtml, htmlToMarkdown } from '../src/extract/assemble.js';
import { readabilityBaseline, readabilityVerdict } from '../src/extract/readability.js';
import { blockFeatures, keptSpan, listingCues } from '../src/features/index.js';
import { languageOf } from '../src/features/text-tokens.js';
import { preparePage } from '../src/input/prepare.js';
import { moderate } from '../src/pipeline.js';
import { segment } from '../src/segment/segment.js';
import { loadFixtures } from '../src/train/fixtures.js';
import type { EngineName } from '../src/types.js';

const USAGE = 'usage: node dist/bench/stages.js [--engine linkedom|jsdom] [--repeat N] [--source corpus|fixtures]';

/** Rows in the order a page goes through them; the first two are for scale. */
const ROWS = ['bare Readability', 'moderate()', 'prepare', 'parse', 'segment', 'Readability verdict', 'features', 'classify', 'assemble html', 'markdown'] as const;
type Row = (typeof ROWS)[number];

interface StagePage {
  url: string | undefined;
  html: string;
}

function loadPages(source: 'corpus' | 'fixtures'): StagePage[] {
  if (source === 'corpus') {
    const dir = corpusDir();
    if (dir === null) throw new Error('corpus not found (../shared/corpus/scrapinghub-dev beside the repo, or WINNOW_CORPUS_DIR)');
    return loadCorpus(dir).map((page) => ({ url: page.url || undefined, html: page.html }));
  }
  return loadFixtures().map((page) => ({ url: page.meta.url || undefined, html: stripFixtureLabels(page.html) }));
}

function parseCli(): { engine: EngineName; repeat: number; source: 'corpus' | 'fixtures' } {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'linkedom' },
      repeat: { type: 'string', default: '3' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.engine !== 'linkedom' && values.engine !== 'jsdom') throw new Error(`--engine must be linkedom or jsdom, got ${values.engine}`);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${values.repeat}`);
  const source = values.source ?? (corpusDir() !== null ? 'corpus' : 'fixtures');
  if (source !== 'corpus' && source !== 'fixtures') throw new Error(`--source must be corpus or fixtures, got ${source}`);
  return { engine: values.engine, repeat, source };
}

function main(): void {
  const cli = parseCli();
  const pages = loadPages(cli.source);
  const model = loadModel();
  const cpuMs = new Map<Row, number>(ROWS.map((row) => [row, 0]));
  const timed = <T>(row: Row, work: () => T): T => {
    const start = process.cpuUsage();
    const result = work();
    const used = process.cpuUsage(start);
    cpuMs.set(row, cpuMs.get(row)! + (used.user + used.system) / 1000);
    return result;
  };

  let runs = 0;
  for (let pass = 0; pass < cli.repeat; pass++) {
    for (const { url, html } of pages) {
      timed('bare Readability', () => readabilityBaseline(html, { url, engine: cli.engine }));
      timed('moderate()', () => moderate(html, { url, engine: cli.engine, model }));

      const prepared = timed('prepare', () => preparePage(html));
      const page = timed('parse', () => parsePage(prepared, { url, engine: cli.engine }));
      try {
        const blocks = timed('segment', () => segment(page.document, { url }));
        const lang = page.document.documentElement?.getAttribute('lang') ?? null;
        const verdict = timed('Readability verdict', () => readabilityVerdict(page.document, blocks));
        const language = languageOf(verdict.metadata.lang ?? lang);
        const features = timed('features', () => {
          const context = {
            blocks,
            kept: verdict.kept,
            readabilityFound: verdict.found,
            title: verdict.metadata.title,
            language,
            listingCues: listingCues(blocks),
            keptSpan: keptSpan(verdict.kept),
            keptRepeats: repeatsWithKeptBlocks(blocks, verdict.kept),
          };
          return blocks.map((block) => blockFeatures(block, context));
        });
        const verdicts = timed('classify', () => classifyBlocks(blocks, features, model, verdict.found ? verdict.kept : null));
        const editorial = blocks.filter((_, i) => verdicts[i].label === 'editorial');
        const articleHtml = timed('assemble html', () => assembleHtml(editorial));
        timed('markdown', () => htmlToMarkdown(articleHtml));
      } finally {
        page.dispose();
      }
      runs++;
    }
  }

  const reference = cpuMs.get('bare Readability')! / runs;
  console.log(`stages: ${pages.length} ${cli.source} pages x ${cli.repeat} passes on ${cli.engine}, CPU ms per page`);
  console.log(
    formatTable(
      ['stage', 'cpu ms/page', 'vs bare Readability'],
      ROWS.map((row) => {
        const perPage = cpuMs.get(row)! / runs;
        return [row, perPage.toFixed(2), `${(perPage / reference).toFixed(2)}x`];
      }),
    ),
  );
  console.log('\nbare Readability = readabilityBaseline (prepare, parse, Readability) on the same engine; the rows below moderate() are its steps.');
}

try {
  main();
} catch (err) {
  console.error(`stages: ${describeError(err)}`);
  console.error(USAGE);
  process.exitCode = 1;
}
