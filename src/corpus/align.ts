/**
 * Align a page's blocks with a benchmark's ground-truth text: which blocks are main content.
 *
 * The ground truth is plain text (headings on their own lines, paragraphs split by blank lines),
 * drafted and reviewed by people, so it never equals a block's text byte for byte: whitespace,
 * punctuation, a dropped footnote marker or a reworded caption differ. Blocks are therefore
 * matched on word tokens (the benchmark's own tokens: lowercased runs of letters, digits and
 * underscore), by word n-grams that consume the truth as they match, so text the page repeats
 * (a lede quoted again in a "related" card, a headline in the header and the body) counts once.
 */

/** Word tokens as the WCXB metric reads them: lowercased runs of letters, digits and underscore. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
}

/** Length of the word n-grams long blocks are matched by. */
const NGRAM = 3;
/**
 * Share of a long block's n-grams that must be found in the truth for it to be main content.
 * Half: a paragraph the truth quotes with a changed clause or a dropped reference still passes,
 * a teaser that shares one sentence with the article does not.
 */
const MIN_COVERAGE = 0.5;
/**
 * How far (in truth tokens) a short block's match may sit outside the span between its aligned
 * neighbours: headings and one-word list items are only trusted in the place the truth has them.
 */
const SHORT_SLACK = 8;

/** One block's alignment. */
export interface BlockAlignment {
  editorial: boolean;
  /** Share of the block's tokens (n-grams for long blocks) found in the truth, 0..1. */
  coverage: number;
  /** Truth token span the block consumed, when aligned. */
  span: [number, number] | null;
}

/** A page's alignment and how much of the truth it accounts for. */
export interface PageAlignment {
  blocks: BlockAlignment[];
  /** Truth tokens consumed by editorial blocks, over all truth tokens (0..1; 1 for an empty truth). */
  truthCovered: number;
}

/**
 * Label each block main content (true) or not, consuming the truth in order.
 *
 * Long blocks (at least NGRAM tokens) are matched first by their n-grams: each n-gram takes the
 * first unconsumed occurrence in the truth at or after the last accepted block's end, else the
 * first unconsumed one anywhere (pages reorder: a sidebar bio the truth puts last); a block whose
 * share of matched n-grams reaches MIN_COVERAGE is accepted and its occurrences are consumed.
 * Short blocks (headings, list items of one or two words, table cells) are accepted only where
 * their exact token run appears in the truth between the spans of the nearest accepted long
 * blocks before and after them (with SHORT_SLACK), so "Share" or "Home" never match a stray
 * occurrence in the body.
 *
 * @param blockTexts - Text of every block, in page order.
 * @param truth - Ground-truth main content.
 */
export function alignBlocks(blockTexts: readonly string[], truth: string): PageAlignment {
  const truthTokens = wordTokens(truth);
  const consumed = new Uint8Array(truthTokens.length);
  const grams = new Map<string, number[]>();
  for (let i = 0; i + NGRAM <= truthTokens.length; i++) {
    const key = truthTokens.slice(i, i + NGRAM).join(' ');
    const list = grams.get(key);
    if (list) list.push(i);
    else grams.set(key, [i]);
  }
  const tokens = blockTexts.map(wordTokens);
  const result: BlockAlignment[] = tokens.map(() => ({ editorial: false, coverage: 0, span: null }));

  let cursor = 0;
  tokens.forEach((words, b) => {
    if (words.length < NGRAM) return;
    const taken: number[] = [];
    const claimed = new Set<number>();
    const total = words.length - NGRAM + 1;
    for (let i = 0; i < total; i++) {
      const list = grams.get(words.slice(i, i + NGRAM).join(' '));
      if (!list) continue;
      const free = (p: number) => !claimed.has(p) && consumed[p] === 0;
      const position = list.find((p) => p >= cursor && free(p)) ?? list.find(free);
      if (position === undefined) continue;
      claimed.add(position);
      taken.push(position);
    }
    const coverage = taken.length / total;
    result[b].coverage = coverage;
    if (coverage < MIN_COVERAGE) return;
    taken.sort((x, y) => x - y);
    // The block's span: the middle of its matches, so one stray n-gram far away does not stretch it.
    const lo = taken[Math.floor(taken.length * 0.1)];
    const hi = taken[Math.min(taken.length - 1, Math.ceil(taken.length * 0.9))] + NGRAM;
    for (const p of taken) for (let k = p; k < p + NGRAM && k < consumed.length; k++) consumed[k] = 1;
    result[b] = { editorial: true, coverage, span: [lo, hi] };
    cursor = Math.max(cursor, hi);
  });

  tokens.forEach((words, b) => {
    if (words.length === 0 || words.length >= NGRAM) return;
    let before = 0;
    for (let k = b - 1; k >= 0; k--) if (result[k].span && tokens[k].length >= NGRAM) { before = result[k].span![1]; break; }
    let after = truthTokens.length;
    for (let k = b + 1; k < tokens.length; k++) if (result[k].span && tokens[k].length >= NGRAM) { after = result[k].span![0]; break; }
    const from = Math.max(0, before - SHORT_SLACK);
    const to = Math.min(truthTokens.length, after + SHORT_SLACK);
    for (let p = from; p + words.length <= to; p++) {
      if (consumed[p] !== 0) continue;
      if (words.every((word, k) => truthTokens[p + k] === word && consumed[p + k] === 0)) {
        for (let k = 0; k < words.length; k++) consumed[p + k] = 1;
        result[b] = { editorial: true, coverage: 1, span: [p, p + words.length] };
        return;
      }
    }
  });

  let covered = 0;
  for (const c of consumed) covered += c;
  return { blocks: result, truthCovered: truthTokens.length === 0 ? 1 : covered / truthTokens.length };
}
