/**
 * Quality benchmark: winnow vs bare Readability on the shared corpus, scored with the
 * article-extraction benchmark's text metric (src/eval/text-metric.ts).
 *
 *   node dist/bench/quality.js [--engine jsdom|linkedom] [--pages N] [--report FILE] [--fixtures]
 *
 * Skips (exit 0) when the corpus is absent (../shared/corpus beside the repo, or WINNOW_CORPUS_DIR).
 * The corpus is read in place and only measured; the report holds scores, never page text.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import type { Model } from '../src/classify/model.js';
import { corpusDir, loadCorpus, repoRoot, CORPUS_ENV } from '../src/eval/corpus.js';
import {
  describeError,
  regressionTable,
  runExtractor,
  stripFixtureLabels,
  summarize,
  summaryTable,
  worstPages,
  type Extractor,
  type PageResult,
} from '../src/eval/quality.js';

/** The winnow API the runner calls, imported only once there is something to measure. */
interface Api {
  loadModel: typeof import('../src/classify/model.js').loadModel;
  moderate: typeof import('../src/pipeline.js').moderate;
  readabilityBaseline: typeof import('../src/extract/readability.js').readabilityBaseline;
  fixtureTruthText: typeof import('../src/train/fixtures.js').fixtureTruthText;
}

async function loadApi(): Promise<Api> {
  const [model, pipeline, readability, fixtures] = await Promise.all([
    import('../src/classify/model.js'),
    import('../src/pipeline.js'),
    import('../src/extract/readability.js'),
    import('../src/train/fixtures.js'),
  ]);
  return {
    loadModel: model.loadModel,
    moderate: pipeline.moderate,
    readabilityBaseline: readability.readabilityBaseline,
    fixtureTruthText: fixtures.fixtureTruthText,
  };
}

type Engine = 'jsdom' | 'linkedom';
const WINNOW = 'winnow';
const READABILITY = 'readability';
const EXTRACTORS = [WINNOW, READABILITY] as const;

const USAGE =
  'usage: node dist/bench/quality.js [--engine jsdom|linkedom] [--pages N] [--report FILE] [--fixtures]';

function parseCli(): { engine: Engine; pages: number | null; report: string | null; fixtures: boolean } {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'jsdom' },
      pages: { type: 'string' },
      report: { type: 'string' },
      fixtures: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const engine = values.engine;
  if (engine !== 'jsdom' && engine !== 'linkedom') throw new Error(`--engine must be jsdom or linkedom, got ${engine}`);
  let pages: number | null = null;
  if (values.pages !== undefined) {
    pages = Number(values.pages);
    if (!Number.isInteger(pages) || pages < 1) throw new Error(`--pages must be a positive integer, got ${values.pages}`);
  }
  return { engine, pages, report: values.report ?? null, fixtures: values.fixtures };
}

/** The two extractors, bound to the engine and model; a model that failed to load fails every page. */
function extractors(api: Api, engine: Engine, model: Model | Error): Record<(typeof EXTRACTORS)[number], Extractor> {
  return {
    [WINNOW]: (html, url) => {
      if (model instanceof Error) throw model;
      return api.moderate(html, { url, engine, model }).text;
    },
    [READABILITY]: (html, url) => api.readabilityBaseline(html, { url, engine }).text,
  };
}

interface Input {
  id: string;
  url: string;
  html: string;
  truth: string;
}

function evaluate(inputs: readonly Input[], run: Record<string, Extractor>, label: string): PageResult[] {
  const results: PageResult[] = [];
  inputs.forEach((input, i) => {
    const page: PageResult = { id: input.id, url: input.url, results: {} };
    for (const name of EXTRACTORS) {
      page.results[name] = runExtractor(run[name], input.html, input.url || undefined, input.truth);
    }
    results.push(page);
    if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${i + 1}/${inputs.length}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  return results;
}

function printResults(title: string, pages: readonly PageResult[]): void {
  console.log(`\n${title}`);
  console.log(summaryTable(summarize(pages, EXTRACTORS)));
  const worst = worstPages(pages, WINNOW, READABILITY, 10);
  if (worst.length > 0) {
    console.log(`\n${worst.length} pages where winnow is worst vs readability (page F1 difference; ! = extractor threw)`);
    console.log(regressionTable(worst, WINNOW, READABILITY));
  }
  const errors = pages.flatMap((page) =>
    EXTRACTORS.flatMap((name) => {
      const error = page.results[name]?.error;
      return error ? [`  ${name} ${page.id}: ${error}`] : [];
    }),
  );
  if (errors.length > 0) {
    console.log(`\nerrors (${errors.length}, each scored as an empty prediction):`);
    console.log(errors.join('\n'));
  }
}

function fixtureInputs(dir: string, fixtureTruthText: Api['fixtureTruthText']): Input[] {
  const inputs: Input[] = [];
  for (const slug of readdirSync(dir).sort()) {
    const pagePath = join(dir, slug, 'page.html');
    if (!existsSync(pagePath)) continue;
    const labeled = readFileSync(pagePath, 'utf8');
    let url = '';
    try {
      const meta = JSON.parse(readFileSync(join(dir, slug, 'meta.json'), 'utf8')) as { url?: unknown };
      if (typeof meta.url === 'string') url = meta.url;
    } catch {
      // no or bad meta.json: no URL
    }
    try {
      const truth = fixtureTruthText(labeled, url || undefined);
      inputs.push({ id: slug, url, html: stripFixtureLabels(labeled), truth });
    } catch (err) {
      console.log(`  fixture ${slug} skipped: ${describeError(err)}`);
    }
  }
  return inputs;
}

async function main(): Promise<void> {
  const args = parseCli();
  const dir = corpusDir();
  if (dir === null) {
    console.log(
      `quality benchmark: corpus not found (../shared/corpus/scrapinghub-dev beside the repo, or ${CORPUS_ENV}); skipping`,
    );
  }
  const root = repoRoot();
  const fixturesDir = root === null ? null : join(root, 'fixtures', 'pages');
  const haveFixtures = args.fixtures && fixturesDir !== null && existsSync(fixturesDir);
  if (args.fixtures && !haveFixtures) console.log('fixtures: no fixtures/pages folder; skipping');
  if (dir === null && !haveFixtures) return;

  const api = await loadApi();
  let model: Model | Error;
  try {
    model = api.loadModel();
  } catch (err) {
    model = err instanceof Error ? err : new Error(String(err));
    console.log(`winnow model failed to load (${describeError(err)}); every winnow page counts as an error`);
  }
  const run = extractors(api, args.engine, model);
  const report: Record<string, unknown> = { engine: args.engine, generated: new Date().toISOString() };

  if (dir !== null) {
    let inputs = loadCorpus(dir);
    if (args.pages !== null) inputs = inputs.slice(0, args.pages);
    const pages = evaluate(inputs, run, 'corpus');
    printResults(`corpus ${dir} (${pages.length} pages, engine ${args.engine})`, pages);
    report.corpus = { dir, summary: summarize(pages, EXTRACTORS), pages };
  }

  if (haveFixtures && fixturesDir !== null) {
    let inputs = fixtureInputs(fixturesDir, api.fixtureTruthText);
    if (args.pages !== null) inputs = inputs.slice(0, args.pages);
    const pages = evaluate(inputs, run, 'fixtures');
    printResults(
      `fixtures ${fixturesDir} (${pages.length} pages, engine ${args.engine}; labeled pages the model may be trained on, not a held-out score)`,
      pages,
    );
    report.fixtures = { dir: fixturesDir, summary: summarize(pages, EXTRACTORS), pages };
  }

  if (args.report !== null && (report.corpus !== undefined || report.fixtures !== undefined)) {
    const file = resolve(args.report);
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nper-page report written to ${file}`);
  }
}

try {
  await main();
} catch (err) {
  console.error(`quality benchmark: ${describeError(err)}`);
  console.error(USAGE);
  process.exitCode = 1;
}
