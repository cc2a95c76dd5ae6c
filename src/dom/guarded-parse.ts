import { html, Parser, TokenizerMode, type Token, type TreeAdapter, type TreeAdapterTypeMap } from 'parse5';
import type { PageLimits } from '../input/prepare.js';
import { guardTreeAdapter, isCutElement } from './tree-guard.js';

/**
 * Parse a whole page with parse5 into the tree `adapter` builds, through the guard that keeps
 * the limits and leaves scripts, styles, templates and inline SVG out of the tree
 * (src/dom/tree-guard.ts). Scripting is off, as in jsdom: `<noscript>` content is parsed as
 * markup, as a reader without scripts sees it.
 */
export function parseGuarded<T extends TreeAdapterTypeMap>(page: string, adapter: TreeAdapter<T>, limits: PageLimits): T['document'] {
  return (RawTextSkippingParser as typeof Parser<T>).parse(page, { treeAdapter: guardTreeAdapter(adapter, limits), scriptingEnabled: false });
}

/** The parts of parse5's input stream the skip moves (parse5 8.x, `tokenizer/preprocessor.js`). */
interface InputStream {
  html: string;
  /** Index of the last code unit consumed. */
  pos: number;
  skipNextNewLine: boolean;
}

/**
 * parse5's parser, except that content it would only tokenize to drop is skipped with string
 * searches. Scripts, styles and inline SVG are 58% of wcxb-dev's bytes (first 500 pages: 114 MB,
 * 53 MB without them), and parse5 took 13.5 ms a page with them against 5.5 ms without.
 *
 * - The text of a cut `<script>` or `<style>` ends where the tokenizer ends it: at the first
 *   `</script` or `</style`, in any ASCII case, followed by whitespace, `/` or `>`. A script
 *   whose text holds `<!--` before that point is left to the tokenizer, whose escaped states
 *   can move the end.
 * - An `<svg>` is skipped only when its content is plain drawing markup (see
 *   {@link plainSvgEnd}), where the tree builder can only nest elements inside it and end it
 *   at `</svg>`; anything else (a tag that breaks out of SVG, `<title>`, `<foreignObject>`, a
 *   comment, an unclosed element) is left to the tokenizer.
 *
 * Both overrides use parse5 internals (`_switchToTextParsing`, `_insertElement`, the input
 * stream's `pos`), so package.json pins parse5 to ~8.1.1, and tests/unit/parse-skip.test.ts
 * checks on 5,000 random pages that the tree is the one parse5 builds without the skips.
 */
class RawTextSkippingParser<T extends TreeAdapterTypeMap> extends Parser<T> {
  override _insertElement(token: Token.TagToken, namespaceURI: html.NS): void {
    super._insertElement(token, namespaceURI);
    // Reached for an <svg> start tag in HTML content only; inside SVG, parse5 inserts foreign elements.
    if (namespaceURI !== html.NS.SVG || token.tagName !== 'svg') return;
    const input = this.tokenizer.preprocessor as unknown as InputStream;
    const end = plainSvgEnd(input.html, input.pos + 1);
    if (end === -1) return;
    input.pos = end - 1;
    input.skipNextNewLine = false;
  }

  override _switchToTextParsing(token: Token.TagToken, state: (typeof TokenizerMode)[keyof typeof TokenizerMode]): void {
    super._switchToTextParsing(token, state);
    const isScript = state === TokenizerMode.SCRIPT_DATA && token.tagName === 'script';
    const isStyle = state === TokenizerMode.RAWTEXT && token.tagName === 'style';
    if (!(isScript || isStyle) || !isCutElement(token.tagName, html.NS.HTML, token.attrs)) return;
    const input = this.tokenizer.preprocessor as unknown as InputStream;
    const from = input.pos + 1;
    const end = endTagAt(input.html, from, token.tagName);
    if (isScript && input.html.slice(from, end).includes('<!--')) return;
    // The next code unit read is the `<` of the end tag (or the end of the page).
    input.pos = end - 1;
    input.skipNextNewLine = false;
  }
}

/** Index of the first `</name` (ASCII case-insensitive) ending a raw-text element at or after `from`, or the page length. */
export function endTagAt(page: string, from: number, name: string): number {
  for (let at = page.indexOf('</', from); at !== -1; at = page.indexOf('</', at + 2)) {
    if (!hasNameAt(page, at + 2, name)) continue;
    const next = page.charCodeAt(at + 2 + name.length);
    // Tab, LF, FF, CR, space, `/`, `>`: the name ends there.
    if (next === 9 || next === 10 || next === 12 || next === 13 || next === 32 || next === 47 || next === 62) return at;
  }
  return page.length;
}

/** Whether `name` (lowercase ASCII) is written at `at`, in any ASCII case. */
function hasNameAt(page: string, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) {
    let code = page.charCodeAt(at + k);
    if (code >= 65 && code <= 90) code += 32;
    if (code !== name.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * SVG elements that are neither HTML integration points (`title`, `desc`, `foreignObject`) nor
 * raw text nor named like an HTML element that breaks out of SVG content (`font`, `image` is
 * kept: only HTML content renames it). Lowercase, as tags are compared.
 */
const PLAIN_SVG_ELEMENTS = new Set([
  'path', 'g', 'circle', 'rect', 'line', 'polyline', 'polygon', 'ellipse', 'defs', 'use', 'symbol', 'lineargradient',
  'radialgradient', 'stop', 'clippath', 'mask', 'pattern', 'filter', 'text', 'tspan', 'image', 'marker', 'animate',
  'animatetransform', 'feblend', 'fecolormatrix', 'fecomposite', 'fegaussianblur', 'feoffset', 'feflood', 'femerge',
  'femergenode', 'femorphology', 'feturbulence', 'fedisplacementmap', 'fedropshadow', 'fefunca', 'fefuncr', 'fefuncg',
  'fefuncb', 'fecomponenttransfer',
]);

/**
 * Where the `</svg` ending an `<svg>` opened just before `from` is, when the content up to it
 * is plain drawing markup; -1 otherwise. Plain: every tag is a start or end tag of
 * {@link PLAIN_SVG_ELEMENTS}, end tags close the innermost open one, attribute values are
 * quoted, and there is no comment, CDATA section or `<` inside a tag. In such content the tree
 * builder nests elements and nothing else, so the first `</svg` ends the element.
 */
export function plainSvgEnd(page: string, from: number): number {
  const open: string[] = [];
  for (let at = page.indexOf('<', from); at !== -1; ) {
    const first = page.charCodeAt(at + 1);
    if (first === 47 /* / */) {
      const name = tagNameAt(page, at + 2);
      if (name === '') return -1;
      const close = page.indexOf('>', at + 2 + name.length);
      if (close === -1 || page.slice(at + 2 + name.length, close).trim() !== '') return -1;
      if (name === 'svg') return open.length === 0 ? at : -1;
      if (open.pop() !== name) return -1;
      at = page.indexOf('<', close + 1);
      continue;
    }
    // `<` before anything but a letter is text; `<!` and `<?` open comments.
    if (!isAsciiLetter(first)) {
      if (first === 33 || first === 63) return -1;
      at = page.indexOf('<', at + 1);
      continue;
    }
    const name = tagNameAt(page, at + 1);
    if (!PLAIN_SVG_ELEMENTS.has(name)) return -1;
    const end = startTagEnd(page, at + 1 + name.length);
    if (end === -1) return -1;
    if (page.charCodeAt(end - 1) !== 47 /* / */) open.push(name);
    at = page.indexOf('<', end + 1);
  }
  return -1;
}

/** Index of the `>` ending a start tag whose attributes begin at `from`; -1 when unsure. */
function startTagEnd(page: string, from: number): number {
  let afterEquals = false;
  for (let i = from; i < page.length; i++) {
    const code = page.charCodeAt(i);
    if (code === 62 /* > */) return afterEquals ? -1 : i;
    if (code === 60 /* < */) return -1;
    if (code === 9 || code === 10 || code === 12 || code === 13 || code === 32) continue;
    if (code === 34 || code === 39) {
      // A quote opens a value only right after `=`.
      if (!afterEquals) return -1;
      const quote = page.indexOf(String.fromCharCode(code), i + 1);
      if (quote === -1) return -1;
      i = quote;
      afterEquals = false;
      continue;
    }
    // An unquoted value would take a `/` before `>` as its own: not followed.
    if (afterEquals) return -1;
    afterEquals = code === 61; /* = */
  }
  return -1;
}

/** Lowercased tag name (ASCII letters, digits, `-`) starting at `at`, or '' when none. */
function tagNameAt(page: string, at: number): string {
  let end = at;
  while (end < page.length) {
    const code = page.charCodeAt(end);
    if (!(isAsciiLetter(code) || (code >= 48 && code <= 57) || code === 45)) break;
    end++;
  }
  return page.slice(at, end).toLowerCase();
}

function isAsciiLetter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}
