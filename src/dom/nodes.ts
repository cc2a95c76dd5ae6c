/**
 * Small node helpers shared by every tree walk. Walks go child by child with `firstChild` /
 * `nextSibling`: on linkedom, `childNodes`, `children` and `tagName` build a new list or string
 * on every read.
 */

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;

/**
 * Lowercase tag name, the same as `tagName.toLowerCase()` on both engines: HTML parsers store
 * `localName` lowercased already, and lowercasing it again is free when nothing changes.
 */
export function tagOf(element: Element): string {
  return element.localName.toLowerCase();
}
