import { JSDOM, VirtualConsole } from 'jsdom';
import type { ParsedPage } from './engine.js';

/** jsdom prints CSS and other parse complaints to the console by default; pages are untrusted and noisy. */
const silentConsole = new VirtualConsole();

/**
 * Spec-compliant HTML5 parsing (parse5). Scripts stay off and no subresource is loaded: those are
 * jsdom's defaults, and neither `runScripts` nor `resources` may ever be set here.
 */
export function parseWithJsdom(html: string, url?: string): ParsedPage {
  const dom = new JSDOM(html, {
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
