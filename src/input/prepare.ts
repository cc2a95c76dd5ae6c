import { PageTooLargeError } from '../errors.js';

/** Limits that keep one hostile page from taking down a process. */
export interface PageLimits {
  /**
   * Largest page accepted, in bytes of HTML text.
   * @defaultValue 10 MiB (a DOM of 31 MB of HTML exhausts the heap of a default Node process)
   */
  maxHtmlBytes: number;
  /**
   * Deepest element nesting accepted, in the tree the parser builds (`<html>` is depth 1).
   * Tree walks recurse; WebKit caps depth at 512.
   * @defaultValue 1000
   */
  maxDepth: number;
  /**
   * Most elements the parser may create (Readability's `maxElemsToParse`).
   * @defaultValue 200000
   */
  maxElements: number;
}

export const DEFAULT_LIMITS: PageLimits = {
  maxHtmlBytes: 10 * 1024 * 1024,
  maxDepth: 1000,
  maxElements: 200_000,
};

/**
 * Refuse a page over the size limit, the one limit that can be read from the text alone, and
 * return it unchanged. Depth, element count and cutting scripts, styles, templates and inline
 * SVG are done by the parser, on the tree it builds (`parsePage`, src/dom/tree-guard.ts): a
 * scan of the raw text cannot tell a tag from a tag name in a comment, an attribute value or a
 * `<textarea>`, nor see which end tags the parser ignores.
 */
export function preparePage(html: string, limits: PageLimits = DEFAULT_LIMITS): string {
  const bytes = Buffer.byteLength(html, 'utf8');
  if (bytes > limits.maxHtmlBytes) {
    throw new PageTooLargeError(`page is ${bytes} bytes of HTML, over the limit of ${limits.maxHtmlBytes}`);
  }
  return html;
}
