/**
 * Whether a heading is the page's headline, on comparable text (see `comparable`). Pages title
 * themselves "Headline – Site", "Site | Headline" or "Opinion | Headline"; the headline on the
 * page drops those parts, or the title is cut short.
 */

/** The same text, or one starting the other when the shorter is long enough to be a headline. */
export function sameText(x: string, y: string): boolean {
  return x.length > 0 && (x === y || (x.length > 20 && (y.startsWith(x) || x.startsWith(y))));
}

/** Fewest words a heading needs before it can be the title less the site's name. */
const MIN_HEADLINE_WORDS = 3;

/**
 * True when `heading` is the headline the title names: the same text, or three words or more
 * the title holds whole (the title adding the site's name or a section before or after).
 *
 * @param heading - Comparable text of the heading.
 * @param title - Comparable text of the page title.
 */
export function isHeadlineOf(heading: string, title: string): boolean {
  if (heading.length === 0) return false;
  if (sameText(heading, title)) return true;
  return heading.split(' ').length >= MIN_HEADLINE_WORDS && ` ${title} `.includes(` ${heading} `);
}
