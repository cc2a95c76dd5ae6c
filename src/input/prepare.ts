import { PageTooDeepError, PageTooLargeError } from '../errors.js';

/** Limits that keep one hostile page from taking down a process. */
export interface PageLimits {
  /**
   * Largest page accepted, in bytes of HTML text.
   * @defaultValue 10 MiB (a DOM of 31 MB of HTML exhausts the heap of a default Node process)
   */
  maxHtmlBytes: number;
  /**
   * Deepest element nesting accepted. Parsers and tree walks recurse; WebKit caps depth at 512.
   * @defaultValue 1000
   */
  maxDepth: number;
  /**
   * Most elements accepted (Readability's `maxElemsToParse`).
   * @defaultValue 200000
   */
  maxElements: number;
}

export const DEFAULT_LIMITS: PageLimits = {
  maxHtmlBytes: 10 * 1024 * 1024,
  maxDepth: 1000,
  maxElements: 200_000,
};

/** Elements whose content no block needs: cut before parsing, which also halves parse time. */
const STRIPPED_ELEMENTS = ['script', 'style', 'svg', 'template'];

/** Elements that never have content or an end tag. */
const VOID_ELEMENTS = new Set([
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr',
  'basefont', 'bgsound', 'frame', 'keygen', 'image',
]);

/** Elements the HTML parser closes by itself (a new `<p>` ends the open one), so they do not nest. */
const SELF_CLOSING_SIBLINGS = new Set([
  'p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'optgroup', 'tbody', 'thead', 'tfoot', 'rb', 'rt', 'rp', 'colgroup',
]);

/**
 * Make page text safe and cheap to parse: refuse pages over the size or depth limits, and cut
 * scripts, styles, inline SVG and templates (JSON-LD scripts stay: Readability reads metadata
 * from them). Linear in the page length whatever the markup.
 */
export function preparePage(html: string, limits: PageLimits = DEFAULT_LIMITS): string {
  const bytes = Buffer.byteLength(html, 'utf8');
  if (bytes > limits.maxHtmlBytes) {
    throw new PageTooLargeError(`page is ${bytes} bytes of HTML, over the limit of ${limits.maxHtmlBytes}`);
  }
  const stripped = stripElements(html);
  const depth = maxNestingDepth(stripped, limits.maxDepth);
  if (depth > limits.maxDepth) {
    throw new PageTooDeepError(`elements nest deeper than ${limits.maxDepth}`);
  }
  // Counted here, not left to Readability: its guard sees no elements on linkedom.
  const elements = countStartTags(stripped, limits.maxElements);
  if (elements > limits.maxElements) {
    throw new PageTooLargeError(`page has more than ${limits.maxElements} elements`);
  }
  return stripped;
}

/** Number of start tags (`<` and a letter), stopping once `limit` is passed. */
export function countStartTags(html: string, limit = Infinity): number {
  let count = 0;
  for (let at = html.indexOf('<'); at !== -1; at = html.indexOf('<', at + 1)) {
    if (isAsciiLetter(html.charCodeAt(at + 1)) && ++count > limit) break;
  }
  return count;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}

/** A character of a tag name after its first letter: letters, digits and `-`. */
function isTagNameChar(code: number): boolean {
  return isAsciiLetter(code) || (code >= 48 && code <= 57) || code === 45;
}

/** Remove script/style/svg/template elements with their content; an unclosed one runs to the end. */
export function stripElements(html: string): string {
  // Tags are found and cut at the same positions of the page itself, matching names without
  // regard to ASCII case. (A lowercased copy would shift every position after a U+0130, İ, whose
  // lowercase is two characters long, and cut a Turkish page in the wrong places.)
  const source = html;
  const parts: string[] = [];
  let cursor = 0;
  for (let next = nextStripped(source, cursor); next !== null; next = nextStripped(source, cursor)) {
    if (cursor >= html.length) break;
    const { start, tag } = next;
    if (tag === '!--') {
      // A comment is copied whole: a tag name written inside it is not a tag.
      const end = source.indexOf('-->', start + 4);
      const stop = end === -1 ? html.length : end + 3;
      parts.push(html.slice(cursor, stop));
      cursor = stop;
      continue;
    }
    const openEnd = source.indexOf('>', start);
    if (openEnd === -1) {
      parts.push(html.slice(cursor, start));
      cursor = html.length;
      break;
    }
    if (source.charAt(openEnd - 1) === '/' && tag === 'svg') {
      // `<svg ... />` is complete in HTML: drop the tag alone, not the page after it.
      parts.push(html.slice(cursor, start));
      cursor = openEnd + 1;
      continue;
    }
    const close = indexOfEndTag(source, tag, openEnd);
    const end = close === -1 ? html.length : endOfTag(source, close);
    // JSON-LD stays: Readability reads the byline and dates from it.
    const keep = tag === 'script' && isJsonLd(source.slice(start, openEnd).toLowerCase());
    parts.push(html.slice(cursor, keep ? end : start));
    cursor = end;
  }
  parts.push(html.slice(cursor));
  return parts.join('');
}

/**
 * The next comment or stripped element's start tag at or after `from`: one forward scan over
 * `<`, so a page with thousands of scripts stays linear.
 */
function nextStripped(source: string, from: number): { start: number; tag: string } | null {
  for (let at = source.indexOf('<', from); at !== -1; at = source.indexOf('<', at + 1)) {
    if (source.startsWith('!--', at + 1)) return { start: at, tag: '!--' };
    for (const tag of STRIPPED_ELEMENTS) {
      // Longer names that share the prefix (`<scripts>`, `<svgx>`) are other elements.
      if (hasNameAt(source, at + 1, tag) && !isNameChar(source, at + 1 + tag.length)) return { start: at, tag };
    }
  }
  return null;
}

/** Position of `</tag` (any ASCII case) at or after `from`, or -1. */
function indexOfEndTag(source: string, tag: string, from: number): number {
  for (let at = source.indexOf('</', from); at !== -1; at = source.indexOf('</', at + 2)) {
    if (hasNameAt(source, at + 2, tag)) return at;
  }
  return -1;
}

/** Whether `name` (lowercase ASCII) is written at `at`, in any ASCII case. */
function hasNameAt(source: string, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) {
    let code = source.charCodeAt(at + k);
    if (code >= 65 && code <= 90) code += 32;
    if (code !== name.charCodeAt(k)) return false;
  }
  return true;
}

/** Whether the character at `at`, lowercased, is a tag-name character (`a-z`, `0-9`, `-`). */
function isNameChar(source: string, at: number): boolean {
  if (at >= source.length) return false;
  const code = source.charCodeAt(at);
  // Lowercasing turns one non-ASCII character into a name character: the Kelvin sign into `k`.
  const lowered = code < 128 ? (code >= 65 && code <= 90 ? code + 32 : code) : source.charAt(at).toLowerCase().charCodeAt(0);
  return (lowered >= 97 && lowered <= 122) || (lowered >= 48 && lowered <= 57) || lowered === 45;
}

function endOfTag(source: string, from: number): number {
  const end = source.indexOf('>', from);
  return end === -1 ? source.length : end + 1;
}

function isJsonLd(openTag: string): boolean {
  return /type\s*=\s*["']?application\/ld\+json/.test(openTag);
}

/**
 * Approximate element depth from tags alone, stopping once `limit` is passed. Void elements and
 * elements the parser closes on its own are not counted, so broken markup with unclosed `<p>`
 * or `<li>` is not mistaken for deep nesting.
 */
export function maxNestingDepth(html: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  // A tag is `<`, an optional `/`, a name, anything but `>`, then `>`: scanned by hand, as
  // this runs over every page before parsing.
  for (let at = html.indexOf('<'); at !== -1; ) {
    const isEnd = html.charCodeAt(at + 1) === 47; // '/'
    const nameStart = isEnd ? at + 2 : at + 1;
    if (!isAsciiLetter(html.charCodeAt(nameStart))) {
      at = html.indexOf('<', at + 1);
      continue;
    }
    let nameEnd = nameStart + 1;
    while (nameEnd < html.length && isTagNameChar(html.charCodeAt(nameEnd))) nameEnd++;
    const tagEnd = html.indexOf('>', nameEnd);
    // No `>` left: no tag can end, here or further on.
    if (tagEnd === -1) break;
    at = html.indexOf('<', tagEnd + 1);
    const name = html.slice(nameStart, nameEnd).toLowerCase();
    if (VOID_ELEMENTS.has(name) || SELF_CLOSING_SIBLINGS.has(name)) continue;
    if (isEnd) {
      depth = Math.max(0, depth - 1);
    } else {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    }
  }
  return max;
}
