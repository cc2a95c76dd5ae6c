import type { Block } from '../segment/block.js';
import { isHeadlineOf, sameText } from '../text/headline.js';
import { comparable } from '../text/normalize.js';

/** Words from which an editorial block is the body's prose: the headline comes before it. */
const BODY_PROSE_WORDS = 20;

/**
 * The article body: editorial blocks less the header's lines that have their own fields, as
 * Readability keeps them out of its text and schema.org's `articleBody` leaves them out. Above
 * the first paragraph of prose, that is the headline (and a sticky bar's copy of it): a heading
 * whose words the title holds ("Headline | Site"), or any block with the title's own text; and
 * the dek: a heading with the text of the page's description (`excerpt`). The blocks keep
 * their editorial label.
 */
export function bodyBlocks(editorial: Block[], title: string | null, excerpt: string | null): { body: Block[]; headline: string | null } {
  const titleText = title ? comparable(title) : null;
  const excerptText = excerpt ? comparable(excerpt) : null;
  if (titleText === null && excerptText === null) return { body: editorial, headline: null };
  const header = new Set<Block>();
  let headline: string | null = null;
  for (const block of editorial) {
    const text = comparable(block.text);
    const heading = block.headingLevel > 0;
    if (titleText !== null && (heading ? isHeadlineOf(text, titleText) : sameText(text, titleText))) {
      header.add(block);
      headline ??= block.text;
    } else if (heading && excerptText !== null && sameText(text, excerptText)) {
      header.add(block);
    } else if (block.wordCount >= BODY_PROSE_WORDS) {
      break;
    }
  }
  return { body: header.size === 0 ? editorial : editorial.filter((block) => !header.has(block)), headline };
}
