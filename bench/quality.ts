/**
 * Quality benchmark: winnow vs bare Readability on the shared corpus, scored with the
 * article-extraction benchmark's text metric (src/eval/text-metric.ts).
 *
 *   node dist/bench/quality.js [--engine jsdom|linkedom] [--pages N] [--report FILE] [--fixtures]
 *                              [--wcxb-pages N] [--corpus-weight W[,W...]] [--only scrapinghub|wcxb]
 *
 * Two corpora, each skipped (exit 0) when absent (../shared/corpus beside the repo, or WINNOW_CORPUS_DIR):
 * - scrapinghub-dev: never trained on; the shipped model against bare Readability (shingle metric).
 * - wcxb-dev: held-out folds by page, each fold's model trained on the fixtures plus the other
 *   folds' aligned pages; WCXB word metric (title line + text), overall and per page type, beside
 *   bare Readability, the shipped model, and the alignment oracle.
 * The corpora are read in place and only measured; the report holds scores, never page text.
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
  'usage: node dist/bench/quality.js [--engine jsdom|linkedom] [--pages N] [--report FILE] [--fixtures] [--wcxb-pages N] [--corpus-weight W[,W...]] [--only scrapinghub|wcxb]';

interface Cli {
  engine: Engine;
  /** Engine of the WCXB section: the pipeline's default (linkedom) unless --engine is given. */
  wcxbEngine: Engine;
  pages: number | null;
  report: string | null;
  fixtures: boolean;
  wcxbPages: number | null;
  /** Corpus block weights to measure, each a full held-out run. */
  corpusWeights: number[] | undefined;
  only: 'scrapinghub' | 'wcxb' | null;
}

function parseCli(): Cli {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string' },
      'wcxb-pages': { type: 'string' },
      'corpus-weight': { type: 'string' },
      only: { type: 'string' },
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
  const engine = values.engine ?? 'jsdom';
  if (engine !== 'jsdom' && engine !== 'linkedom') throw new Error(`--engine must be jsdom or linkedom, got ${engine}`);
  const only = values.only ?? null;
  if (only !== null && only !== 'scrapinghub' && only !== 'wcxb') throw new Error(`--only must be scrapinghub or wcxb, got ${only}`);
  const wcxbPages = values['wcxb-pages'] === undefined ? null : Number(values['wcxb-pages']);
  const corpusWeights = values['corpus-weight'] === undefined ? undefined : values['corpus-weight'].split(',').map(Number);
  if (corpusWeights?.some((w) => !(w > 0))) throw new Error(`--corpus-weight must be positive numbers, got ${values['corpus-weight']}`);
  let pages: number | null = null;
  if (values.pages !== undefined) {
    pages = Number(values.pages);
    if (!Number.isInteger(pages) || pages < 1) throw new Error(`--pages must be a positive integer, got ${values.pages}`);
  }
  return {
    engine,
    wcxbEngine: (values.engine as Engine | undefined) ?? 'linkedom',
    pages,
    report: values.report ?? null,
    fixtures: values.fixtures,
    wcxbPages,
    corpusWeights,
    only,
  };
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

/**
 * The WCXB section: align the split, fit the operating point (temperature, promo bias) on the
 * fixtures' held-out folds with the corpus in every fold's training set, then score every corpus
 * page with the model of the fold that held it out.
 */
async function wcxbSection(args: Cli, shipped: Model | Error): Promise<Record<string, unknown> | null> {
  const { wcxbDir } = await import('../src/corpus/wcxb.js');
  const dir = wcxbDir();
  if (dir === null) {
    console.log(`\nwcxb: corpus not found (../shared/corpus/wcxb-dev beside the repo, or ${CORPUS_ENV}); skipping`);
    return null;
  }
  const { labeledFixtures, alignedCorpusFor } = await import('../src/cli/train-commands.js');
  const { crossValidate, CORPUS_PAGE_WEIGHT } = await import('../src/train/train.js');
  const bench = await import('../src/eval/wcxb-bench.js');
  const { articleFrom } = await import('../src/pipeline.js');
  const { scoreWordPage } = await import('../src/eval/word-metric.js');
  const started = performance.now();
  const { pages: fixtures } = labeledFixtures(join(repoRoot()!, 'fixtures', 'pages'), args.wcxbEngine);
  const corpus = alignedCorpusFor(dir, fixtures, { engine: args.wcxbEngine, limit: args.wcxbPages ?? undefined, readability: true }, console.log);
  const fixturesAlone = crossValidate(fixtures, {});
  console.log(`fixtures' held-out macro F1, fixtures alone: ${fixturesAlone.metrics.macroF1.toFixed(4)}`);
  const runs: Record<string, unknown>[] = [];
  for (const corpusWeight of args.corpusWeights ?? [CORPUS_PAGE_WEIGHT]) {
    const weightStarted = performance.now();
    const operating = crossValidate(fixtures, { extraPages: corpus.pages, corpusWeight });
    const perClass = operating.metrics.perClass;
    console.log(
      `\ncorpus class share ${corpusWeight}: fixtures' held-out macro F1 ${operating.metrics.macroF1.toFixed(4)} ` +
        `(editorial ${perClass.editorial.f1.toFixed(3)}, promo ${perClass.promo.f1.toFixed(3)}, boilerplate ${perClass.boilerplate.f1.toFixed(3)}); temperature ${operating.temperature}, bias ${JSON.stringify(operating.bias)}`,
    );
    const results = bench.crossValidateWcxb(corpus, fixtures, {
      corpusWeight,
      temperature: operating.temperature,
      bias: operating.bias,
      onFold: (done, total) => {
        if (process.stderr.isTTY) process.stderr.write(`\rwcxb folds: ${done}/${total}`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const SHIPPED = 'winnow (shipped model)';
    if (!(shipped instanceof Error)) {
      const byId = new Map(corpus.pages.map((page) => [page.corpusPage.id, page]));
      for (const result of results) {
        const page = byId.get(result.id);
        if (!page) continue;
        const article = articleFrom(page.analysis, shipped, page.corpusPage.url || null);
        result.scores[SHIPPED] = scoreWordPage(`${article.title ?? ''}\n${article.text}`, { text: page.corpusPage.truth, with: page.corpusPage.with, without: page.corpusPage.without });
      }
    }
    const extractors = [bench.WINNOW, bench.READABILITY, ...(shipped instanceof Error ? [] : [SHIPPED]), bench.ORACLE];
    const summary = bench.summarizeWcxb(results, extractors);
    console.log(
      `\nwcxb ${dir} (${corpus.info.name} ${corpus.info.version}, CC-BY-4.0; ${results.length} pages, engine ${args.wcxbEngine}; ` +
        `winnow = 5 held-out folds by page, each trained on the fixtures + the other folds' aligned pages at class share ${corpusWeight}; ` +
        `${((performance.now() - weightStarted) / 1000).toFixed(0)} s, ${((performance.now() - started) / 1000).toFixed(0)} s in all)`,
    );
    console.log(bench.wcxbTable(summary.overall));
    console.log('\nF1 by page type');
    console.log(bench.wcxbTypeTable(summary.byType, extractors));
    console.log('\nworst winnow pages (held out): id, type, winnow P/R/F1, oracle F1');
    for (const r of bench.worstWcxbPages(results, 15)) {
      const w = r.scores[bench.WINNOW];
      console.log(`  ${r.id} ${r.pageType.padEnd(13)} P ${w.precision.toFixed(2)} R ${w.recall.toFixed(2)} F1 ${w.f1.toFixed(2)}  oracle ${r.scores[bench.ORACLE].f1.toFixed(2)}`);
    }
    runs.push({ corpusWeight, fixturesMacroF1: operating.metrics.macroF1, summary, pages: results });
  }
  return { dir, corpus: corpus.info, fixturesAloneMacroF1: fixturesAlone.metrics.macroF1, runs };
}

async function main(): Promise<void> {
  const args = parseCli();
  const dir = args.only === 'wcxb' ? null : corpusDir();
  if (dir === null && args.only !== 'wcxb') {
    console.log(
      `quality benchmark: corpus not found (../shared/corpus/scrapinghub-dev beside the repo, or ${CORPUS_ENV}); skipping`,
    );
  }
  const root = repoRoot();
  const fixturesDir = root === null ? null : join(root, 'fixtures', 'pages');
  const haveFixtures = args.fixtures && fixturesDir !== null && existsSync(fixturesDir);
  if (args.fixtures && !haveFixtures) console.log('fixtures: no fixtures/pages folder; skipping');
  if (dir === null && !haveFixtures && args.only !== 'wcxb' && args.only !== null) return;

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

  if (args.only !== 'scrapinghub') {
    const wcxb = await wcxbSection(args, model);
    if (wcxb !== null) report.wcxb = wcxb;
  }

  if (args.report !== null && (report.corpus !== undefined || report.fixtures !== undefined || report.wcxb !== undefined)) {
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
