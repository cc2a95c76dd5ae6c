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

/** Number of start tags, stopping once `limit` is passed. */
export function countStartTags(html: string, limit = Infinity): number {
  const tag = /<[a-zA-Z]/g;
  let count = 0;
  while (tag.exec(html) !== null) {
    if (++count > limit) break;
  }
  return count;
}

/** Remove script/style/svg/template elements with their content; an unclosed one runs to the end. */
export function stripElements(html: string): string {
  const lower = html.toLowerCase();
  const finder = new StrippedTagFinder(lower);
  const parts: string[] = [];
  let cursor = 0;
  for (let next = finder.next(cursor); next !== null; next = finder.next(cursor)) {
    const { start, tag } = next;
    if (tag === '!--') {
      // A comment is copied whole: a tag name written inside it is not a tag.
      const end = lower.indexOf('-->', start + 4);
      const stop = end === -1 ? html.length : end + 3;
      parts.push(html.slice(cursor, stop));
      cursor = stop;
      continue;
    }
    const openEnd = lower.indexOf('>', start);
    if (openEnd === -1) {
      parts.push(html.slice(cursor, start));
      cursor = html.length;
      break;
    }
    if (lower.charAt(openEnd - 1) === '/' && tag === 'svg') {
      // `<svg ... />` is complete in HTML: drop the tag alone, not the page after it.
      parts.push(html.slice(cursor, start));
      cursor = openEnd + 1;
      continue;
    }
    const close = lower.indexOf(`</${tag}`, openEnd);
    const end = close === -1 ? html.length : endOfTag(lower, close);
    // JSON-LD stays: Readability reads the byline and dates from it.
    const keep = tag === 'script' && isJsonLd(lower.slice(start, openEnd));
    parts.push(html.slice(cursor, keep ? end : start));
    cursor = end;
  }
  parts.push(html.slice(cursor));
  return parts.join('');
}

/**
 * Finds the next stripped element's start tag. Each tag's next position is cached and only searched
 * again once the cursor passes it, so a page with thousands of scripts stays linear.
 */
class StrippedTagFinder {
  private readonly positions = new Map<string, number>();

  constructor(private readonly lower: string) {}

  next(from: number): { start: number; tag: string } | null {
    let best: { start: number; tag: string } | null = null;
    for (const tag of [...STRIPPED_ELEMENTS, '!--']) {
      let index = this.positions.get(tag) ?? -2;
      if (index !== -1 && index < from) {
        index = this.search(tag, from);
        this.positions.set(tag, index);
      }
      if (index !== -1 && (best === null || index < best.start)) best = { start: index, tag };
    }
    return best;
  }

  private search(tag: string, from: number): number {
    let index = this.lower.indexOf(`<${tag}`, from);
    // Skip longer names that share the prefix (`<scripts>`, `<svgx>`).
    while (index !== -1 && tag !== '!--' && /[a-z0-9-]/.test(this.lower.charAt(index + tag.length + 1))) {
      index = this.lower.indexOf(`<${tag}`, index + 1);
    }
    return index;
  }
}

function endOfTag(lower: string, from: number): number {
  const end = lower.indexOf('>', from);
  return end === -1 ? lower.length : end + 1;
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
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>/g;
  let depth = 0;
  let max = 0;
  for (let match = tag.exec(html); match !== null; match = tag.exec(html)) {
    const name = match[2].toLowerCase();
    if (VOID_ELEMENTS.has(name) || SELF_CLOSING_SIBLINGS.has(name)) continue;
    if (match[1] === '/') {
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
