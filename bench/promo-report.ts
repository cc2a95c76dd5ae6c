/**
 * Promo report on held-out folds of the fixtures: editorial kept, promo and boilerplate leaked,
 * per page and per pattern (definitions in src/eval/promo-report.ts).
 *
 *   node dist/bench/promo-report.js [--engine jsdom|linkedom] [--folds K] [--seed N] [--only REGEX] [--lines N] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { formatPromoReport, promoReport } from '../src/eval/promo-report.js';
import { defaultFixtureDir, labelFixture, loadFixtures } from '../src/train/fixtures.js';

const USAGE =
  'usage: node dist/bench/promo-report.js [--engine jsdom|linkedom] [--folds K] [--seed N] [--only REGEX] [--lines N] [--json FILE]';

function main(): void {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'linkedom' },
      folds: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      only: { type: 'string' },
      lines: { type: 'string', default: '5' },
      json: { type: 'string' },
      fixtures: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const engine = values.engine;
  if (engine !== 'jsdom' && engine !== 'linkedom') throw new Error(`--engine must be jsdom or linkedom, got ${engine}`);
  const pages = loadFixtures(values.fixtures ?? defaultFixtureDir()).map((page) => labelFixture(page, { engine }));
  const report = promoReport(pages, {
    folds: Number(values.folds),
    seed: Number(values.seed),
    only: values.only ? new RegExp(values.only) : undefined,
  });
  console.log(formatPromoReport(report, { lines: Number(values.lines) }));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

main();
