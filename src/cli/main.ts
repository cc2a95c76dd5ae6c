#!/usr/bin/env -S node --max-semi-space-size=4
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig, port, type WinnowConfig } from '../config.js';
import { isEngineName } from '../dom/engine.js';
import { openStore } from '../storage/open-store.js';
import type { EngineName } from '../types.js';
import { runCommand, type OutputFormat } from './run-command.js';
import { evalCommand, importCommand, labeledFixtures, trainCommand } from './train-commands.js';
import { defaultFixtureDir } from '../train/fixtures.js';

function engineOption(value: string): EngineName {
  if (!isEngineName(value)) throw new InvalidArgumentError('must be "jsdom" or "linkedom"');
  return value;
}

/** A repeatable option: every occurrence is kept, in order. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError('must be an integer >= 2');
  return n;
}

function cliPort(value: string): number {
  try {
    return port('--port', value, 0);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Exit code of a setting that does not parse (a usage error), apart from 1 for a command that failed. */
const EXIT_BAD_SETTING = 2;

export function buildProgram(config: WinnowConfig = loadConfig()): Command {
  const program = new Command('winnow')
    .description('Separate article text from ads, promo listings and site chrome')
    .showHelpAfterError();

  program
    .command('run')
    .description('moderate pages inline (no queue): files, folders of .html files, or http(s) URLs')
    .argument('<inputs...>', 'files, folders or URLs')
    .option('--out <dir>', 'write one <name>.json per page into this folder')
    .option('--json', 'print the whole result as JSON')
    .addOption(new Option('--format <format>', 'article output format').choices(['text', 'html', 'md']).default('text'))
    .option('--engine <engine>', 'DOM engine: linkedom or jsdom', engineOption, config.engine)
    .option('--db <path>', 'SQLite file to store results in (unless DATABASE_URL names PostgreSQL)', config.databasePath)
    .option('--no-store', 'do not store results')
    .option('--model-dir <dir>', 'folder of trained models')
    .action(async (inputs: string[], opts) => {
      const store = opts.store ? await openStore({ sqlitePath: opts.db }) : null;
      try {
        const summary = await runCommand(inputs, {
          out: opts.out,
          json: opts.json,
          format: opts.format as OutputFormat,
          engine: opts.engine,
          modelDir: opts.modelDir,
          store,
        });
        if (summary.failed.length > 0) process.exitCode = 1;
      } finally {
        await store?.close();
      }
    });

  program
    .command('train')
    .description('rebuild the model in models/ from the labeled fixtures, with cross-validated metrics')
    .option('--fixtures <dir>', 'fixture pages folder', defaultFixtureDir())
    .option('--model-dir <dir>', 'folder of trained models')
    .option('--folds <n>', 'cross-validation folds (by page)', positiveInt, 5)
    .option('--no-promote', 'write the model but do not make it current')
    .option('--engine <engine>', 'DOM engine: linkedom or jsdom', engineOption, config.engine)
    .option('--corpus <dir>', 'WCXB split trained on besides the fixtures (default: ../shared/corpus/wcxb-dev beside the repo, or WINNOW_CORPUS_DIR, when present)')
    .option('--no-corpus', 'train on the fixtures alone')
    .option('--corpus-weight <w>', 'share of each class\'s fixture mass the aligned corpus adds (default 0.1)', Number)
    .option('--corpus-pages <n>', 'at most this many corpus pages', positiveInt)
    .action((opts) => {
      trainCommand({
        fixtures: opts.fixtures,
        modelDir: opts.modelDir,
        folds: opts.folds,
        promote: opts.promote,
        engine: opts.engine,
        corpus: opts.corpus,
        corpusWeight: opts.corpusWeight,
        corpusPages: opts.corpusPages,
      });
    });

  program
    .command('eval')
    .description('per-class precision/recall/F1 and the confusion matrix, cross-validated by page')
    .option('--fixtures <dir>', 'fixture pages folder', defaultFixtureDir())
    .option('--model-dir <dir>', 'folder of trained models')
    .option('--folds <n>', 'cross-validation folds (by page)', positiveInt, 5)
    .option('--pages', 'list every misclassified block per page')
    .option('--engine <engine>', 'DOM engine: linkedom or jsdom', engineOption, config.engine)
    .option('--corpus <dir>', 'also train every fold on this WCXB split (fixtures are still the held-out pages)')
    .option('--corpus-weights <list>', 'comma-separated corpus class shares to compare, e.g. 0.1,0.3', (value: string) => value.split(',').map(Number))
    .option('--corpus-pages <n>', 'at most this many corpus pages', positiveInt)
    .action((opts) =>
      evalCommand({
        fixtures: opts.fixtures,
        modelDir: opts.modelDir,
        folds: opts.folds,
        pages: opts.pages,
        engine: opts.engine,
        corpus: opts.corpus ?? false,
        corpusWeights: opts.corpusWeights,
        corpusPages: opts.corpusPages,
      }),
    );

  program
    .command('enqueue')
    .description('queue URLs to fetch and moderate (needs Redis and a running `winnow worker`)')
    .argument('[urls...]', 'http(s) URLs')
    .option('--file <path>', 'read URLs from this file, one per line')
    .option('--dir <dir>', 'store every .html file of this folder and its subfolders and queue it for moderation')
    .option('--warc <file>', 'store every 2xx HTML response of this WARC (.warc or .warc.gz) and queue it for moderation; repeatable', collect, [])
    .option('--db <path>', 'SQLite file the --dir and --warc pages are stored in (unless DATABASE_URL names PostgreSQL)', config.databasePath)
    .action(async (urls: string[], opts) => {
      if (urls.length === 0 && !opts.file && !opts.dir && opts.warc.length === 0) throw new Error('give URLs, --file, --dir or --warc');
      const { enqueueCommand } = await import('../../workers/commands.js');
      const summary = await enqueueCommand(urls, {
        file: opts.file,
        dir: opts.dir,
        warc: opts.warc,
        config,
        openStore: () => openStore({ sqlitePath: opts.db }),
      });
      if (summary.rejected > 0) process.exitCode = 1;
    });

  program
    .command('requeue-pending')
    .description(
      'queue again the job of every page the database holds as pending or fetched whose job Redis no longer has (e.g. after a restart without persistence); ' +
        'record failed, with the reason, those whose job Redis keeps as failed',
    )
    .option('--older-than <duration>', 'only pages unchanged for longer than this: 90s, 10m, 2h, 1d', '10m')
    .option('--db <path>', 'SQLite file to read (unless DATABASE_URL names PostgreSQL)', config.databasePath)
    .action(async (opts) => {
      const { requeuePendingCommand } = await import('../../workers/commands.js');
      const store = await openStore({ sqlitePath: opts.db });
      try {
        await requeuePendingCommand({ olderThan: opts.olderThan, config, store });
      } finally {
        await store.close();
      }
    });

  program
    .command('worker')
    .description('run queue workers until SIGTERM/SIGINT (fetch in-process, moderate in sandboxed children)')
    .option('--stages <list>', 'comma-separated stages to run: fetch, moderate', 'fetch,moderate')
    .action(async (opts) => {
      const { parseStages, workerCommand } = await import('../../workers/commands.js');
      await workerCommand(parseStages(opts.stages));
    });

  program
    .command('get')
    .description('print a stored article by URL, article id or page id, or why its page failed')
    .argument('<ref>', 'URL, article id or page id')
    .option('--json', 'print the whole stored article (or the failure) as JSON')
    .option('--db <path>', 'SQLite file to read (unless DATABASE_URL names PostgreSQL)', config.databasePath)
    .action(async (ref: string, opts) => {
      const { getCommand } = await import('../../workers/commands.js');
      const store = await openStore({ sqlitePath: opts.db });
      try {
        if (!(await getCommand(ref, { json: opts.json, store }))) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });

  program
    .command('failed')
    .description('list failed jobs (Redis) and failed pages (database); --retry moves the failed jobs back to waiting')
    .option('--limit <n>', 'most jobs and pages listed', (value: string) => positiveCount(value), 100)
    .option('--retry', 'retry the listed failed jobs')
    .option('--db <path>', 'SQLite file to read (unless DATABASE_URL names PostgreSQL)', config.databasePath)
    .action(async (opts) => {
      const { failedCommand } = await import('../../workers/failed-jobs.js');
      const store = await openStore({ sqlitePath: opts.db });
      try {
        await failedCommand({ config, store, limit: opts.limit, retry: opts.retry });
      } finally {
        await store.close();
      }
    });

  program
    .command('serve')
    .description('serve the HTTP API until SIGTERM/SIGINT (needs Redis; token from WINNOW_API_TOKEN)')
    .option('--port <port>', 'port to listen on', (value: string) => cliPort(value), config.apiPort)
    .option('--host <host>', 'address to bind', config.apiHost)
    .option('--db <path>', 'SQLite file to store pages in (unless DATABASE_URL names PostgreSQL)', config.databasePath)
    .option('--insecure-no-token', 'serve without authentication when WINNOW_API_TOKEN is unset (local use only)')
    .option('--fixtures <dir>', 'fixture pages folder review exports are written to and training reads', defaultFixtureDir())
    .option('--model-dir <dir>', 'folder of trained models review promotes in')
    .action(async (opts) => {
      const { serveUntilSignal } = await import('../api/server.js');
      await serveUntilSignal({
        config: { ...config, apiPort: opts.port, apiHost: opts.host, databasePath: opts.db },
        insecureNoToken: opts.insecureNoToken === true,
        fixturesDir: opts.fixtures,
        modelDir: opts.modelDir,
      });
    });

  const fixtures = program.command('fixtures').description('labeled fixture pages');
  fixtures
    .command('check')
    .description('check that every block of every fixture page has a label')
    .option('--fixtures <dir>', 'fixture pages folder', defaultFixtureDir())
    .action((opts) => {
      const { pages } = labeledFixtures(opts.fixtures);
      const templates = new Set(pages.map((page) => page.meta.template));
      const blocks = pages.reduce((sum, page) => sum + page.gold.length, 0);
      console.log(`${pages.length} pages, ${templates.size} templates, ${blocks} blocks: every block labeled`);
    });

  fixtures
    .command('import')
    .description('write a WCXB split as fixture pages with aligned labels (not reviewed) into a folder outside the repository, for review')
    .argument('<corpus>', 'the split folder (html/, ground-truth/, metadata.json)')
    .requiredOption('--out <dir>', 'folder to write <slug>/page.html + meta.json into (never the repository fixtures)')
    .option('--limit <n>', 'at most this many pages', positiveInt)
    .option('--engine <engine>', 'DOM engine: linkedom or jsdom', engineOption, config.engine)
    .action((corpus: string, opts) => {
      importCommand(corpus, { out: opts.out, limit: opts.limit, engine: opts.engine });
    });

  return program;
}

function main(): void {
  let config: WinnowConfig;
  try {
    // Settings are read once, before any command: a typo stops every command with one clear line.
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`winnow: ${(error as Error).message}\n`);
    process.exitCode = EXIT_BAD_SETTING;
    return;
  }
  buildProgram(config)
    .parseAsync(process.argv)
    .catch((error: Error) => {
      process.stderr.write(`winnow: ${error.message}\n`);
      process.exitCode = 1;
    });
}

main();
