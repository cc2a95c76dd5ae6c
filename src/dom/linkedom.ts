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
 * their words (`bench/parser-check.ts`). See docs/BENCHMARKS.md, "Parser check", for the
 * speed figures of both.
 */
export function parseWithLinkedom(html: string, limits: PageLimits = DEFAULT_LIMITS): ParsedPage {
  const document = parseGuarded(html, linkedomTreeAdapter(), limits);
  return {
    document,
    engine: 'linkedom',
    dispose: () => undefined,
  };
}
