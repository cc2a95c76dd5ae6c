/**
 * Tag sets that decide how a page is cut into blocks. Defined once here so the walk does not
 * rebuild them per node.
 */

/** Inline (phrasing) elements: they never start a block of their own. */
export const INLINE_TAGS = new Set([
  'a', 'abbr', 'acronym', 'b', 'bdi', 'bdo', 'big', 'br', 'button', 'cite', 'code', 'data', 'del', 'dfn',
  'em', 'font', 'i', 'img', 'input', 'ins', 'kbd', 'label', 'mark', 'meter', 'nobr', 'output', 'picture',
  'progress', 'q', 'rp', 'rt', 'ruby', 'ruby', 's', 'samp', 'small', 'source', 'span', 'strike', 'strong',
  'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr',
]);

/** Elements whose content is never a block (not visible text, or not the page's own text). */
export const SKIPPED_TAGS = new Set([
  'head', 'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'frame', 'frameset', 'object',
  'embed', 'canvas', 'video', 'audio', 'select', 'option', 'optgroup', 'textarea', 'datalist', 'map', 'area',
  'title', 'meta', 'link', 'base', 'dialog',
]);

/** Table parts: a table whose cells hold only inline text is kept whole as one block. */
export const TABLE_PART_TAGS = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup', 'col']);

/** Elements the article HTML rebuilds around editorial blocks (a list item needs its list). */
export const WRAPPER_TAGS = new Set(['ul', 'ol', 'li', 'dl', 'blockquote']);

/** Elements that can be one item of a repeated listing (a card, a row, a list item). */
export const LISTING_UNIT_TAGS = new Set([
  'li', 'tr', 'dt', 'dd', 'article', 'section', 'div', 'a', 'span', 'figure', 'aside', 'td', 'ul', 'dl',
]);

export function isInlineTag(tag: string): boolean {
  return INLINE_TAGS.has(tag);
}
