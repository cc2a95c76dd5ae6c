import { createRequire } from 'node:module';
import type * as Jsdom from 'jsdom';
import { defaultTreeAdapter, serialize } from 'parse5';
import { DEFAULT_LIMITS, type PageLimits } from '../input/prepare.js';
import type { ParsedPage } from './engine.js';
import { parseGuarded } from './guarded-parse.js';

// Loaded on first use: jsdom costs about 0.45 s and 90 MB to load, and the default engine is
// linkedom, so a process that never parses with jsdom never pays for it.
const require = createRequire(import.meta.url);
let loaded: { JSDOM: typeof Jsdom.JSDOM; silentConsole: Jsdom.VirtualConsole } | undefined;

function jsdom(): NonNullable<typeof loaded> {
  if (!loaded) {
    const { JSDOM, VirtualConsole } = require('jsdom') as typeof Jsdom;
    // jsdom prints CSS and other parse complaints to the console by default; pages are untrusted and noisy.
    loaded = { JSDOM, silentConsole: new VirtualConsole() };
  }
  return loaded;
}

/**
 * Spec-compliant HTML5 parsing (parse5). Scripts stay off and no subresource is loaded: those are
 * jsdom's defaults, and neither `runScripts` nor `resources` may ever be set here.
 *
 * jsdom builds its tree with its own parse5 adapter, which cannot be wrapped, so the page is
 * first parsed into parse5's plain tree through the same guard as linkedom (limits, cut
 * elements), serialized, and the result given to jsdom. The guarded pass costs a few ms a page
 * next to jsdom's own parse (docs/BENCHMARKS.md, "Parser check").
 */
export function parseWithJsdom(html: string, url?: string, limits: PageLimits = DEFAULT_LIMITS): ParsedPage {
  const { JSDOM, silentConsole } = jsdom();
  const guarded = serialize(parseGuarded(html, defaultTreeAdapter, limits));
  const dom = new JSDOM(guarded, {
    url: safeDocumentUrl(url),
    contentType: 'text/html',
    virtualConsole: silentConsole,
  });
  return {
    document: dom.window.document,
    engine: 'jsdom',
    dispose: () => dom.window.close(),
  };
}

/** jsdom rejects non-http(s)-like URLs; the document URL only resolves relative links. */
function safeDocumentUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
