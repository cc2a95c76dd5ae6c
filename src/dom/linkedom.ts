import { parseHTML } from 'linkedom';
import type { ParsedPage } from './engine.js';

/**
 * linkedom: a light DOM on htmlparser2. Forgiving rather than spec-exact on broken markup, but
 * Readability gives the same article text on it, several times faster and in a fraction of the
 * memory. Nothing runs and nothing is fetched.
 */
export function parseWithLinkedom(html: string): ParsedPage {
  const { document } = parseHTML(withBody(html));
  return {
    document: document as unknown as Document,
    engine: 'linkedom',
    dispose: () => undefined,
  };
}

/**
 * linkedom keeps content after a stray `</body>` or `</html>` outside the body, and builds no
 * body at all for a page without `<html>`/`<body>` tags, where an HTML5 parser moves everything
 * into the body. Dropping those end tags and opening a body where the page has none gives the
 * HTML5 result for both.
 */
export function withBody(html: string): string {
  const source = html.replace(/<\/(?:body|html)\s*>/gi, '');
  if (/<body[\s>]/i.test(source)) return source;
  const headEnd = /<\/head\s*>/i.exec(source);
  if (headEnd) {
    const at = headEnd.index + headEnd[0].length;
    return `${source.slice(0, at)}<body>${source.slice(at)}</body>`;
  }
  return `<!DOCTYPE html><html><head></head><body>${source.replace(/<!doctype[^>]*>/i, '')}</body></html>`;
}
