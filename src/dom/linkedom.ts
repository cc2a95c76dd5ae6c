import { DEFAULT_LIMITS, type PageLimits } from '../input/prepare.js';
import type { ParsedPage } from './engine.js';
import { parseGuarded } from './guarded-parse.js';
import { linkedomTreeAdapter } from './linkedom-tree-adapter.js';

/**
 * linkedom nodes in the tree the HTML standard builds: parse5's tokenizer and tree builder
 * (the ones jsdom uses) call linkedom's DOM methods, through a guard that keeps the page
 * limits on that tree and leaves scripts, styles, templates and inline SVG out of it.
 * Nothing runs and nothing is fetched.
 *
 * linkedom's own parser (htmlparser2) was used before. It is not a tree builder: a `<meta>`
 * before `<head>` left the body empty, and 14 of 1,358 wcxb-dev pages lost more than 5% of
 * their words, 11 of them all (`bench/parser-check.ts`; 0 now). The price is parse time:
 * 20.0-20.2 ms of CPU a page on wcxb-dev against 10.0-12.0 before, 13.3 against 7.4 on
 * scrapinghub-dev, mostly parse5's tokenizer reading markup a character at a time
 * (docs/BENCHMARKS.md, 2026-12-08).
 */
export function parseWithLinkedom(html: string, limits: PageLimits = DEFAULT_LIMITS): ParsedPage {
  const document = parseGuarded(html, linkedomTreeAdapter(), limits);
  return {
    document,
    engine: 'linkedom',
    dispose: () => undefined,
  };
}
