/**
 * Feature thresholds and patterns, named once. Bump FEATURE_VERSION whenever a token's meaning
 * changes: a model trained on other features is refused at load time.
 */
export const FEATURE_VERSION = 10;

/** Ancestor tags whose presence says something about a block (page regions and list/card shapes). */
export const SEMANTIC_ANCESTORS = new Set([
  'article', 'aside', 'nav', 'header', 'footer', 'main', 'section', 'form', 'li', 'ul', 'ol', 'table',
  'figure', 'blockquote', 'details', 'a', 'dl', 'center', 'td', 'button', 'label',
]);

/** Upper bounds of word-count buckets: a block falls in the first bucket it fits. */
export const WORD_BUCKETS = [0, 3, 8, 20, 50, 100];
/** Upper bounds of link-density buckets (share of words inside links). */
export const LINK_DENSITY_BUCKETS = [0, 0.2, 0.5, 0.8];
/** Upper bounds of listing-size buckets (structurally identical siblings). */
export const LISTING_BUCKETS = [1, 3, 9, 29];
/** Position in the page, in fifths of the block sequence. */
export const POSITION_BUCKETS = 5;

/** Readability kept at least this share of a block's text: `kept`; some but less: `partial`. */
export const READABILITY_KEPT = 0.8;

/**
 * How much one structural token weighs against one word of text in Naive Bayes counts. Text
 * alone over-trusts long paragraphs; structure alone cannot read "Sponsored". Chosen by
 * cross-validated macro F1 on the fixtures (see README, "Classifier").
 */
export const STRUCTURE_WEIGHT = 2;
/**
 * Weight of Readability's verdict on the block. Readability is right about long prose on real
 * pages far more often than a classifier trained on a few dozen templates, but it also keeps
 * captions, datelines and "Read more" lines that sit among the paragraphs. Three structural
 * tokens' worth: with fixtures that hold such clutter, four gave lower cross-validated macro F1
 * (0.900 against 0.903) and two lost recall on real pages (see README, "Classifier").
 */
export const READABILITY_WEIGHT = 3 * STRUCTURE_WEIGHT;
/**
 * Weight of a selling or chrome cue word in the block's own text ("Advertisement", "Anzeige",
 * "Sponsored"): explicit markers must outvote Readability keeping an ad slot inside the article.
 */
export const CUE_WEIGHT = 4 * STRUCTURE_WEIGHT;
/** Weight of a cue in the class/id of the block or its ancestors (`ad-slot`, `sponsored`, `newsletter`). */
export const CLASS_CUE_WEIGHT = 4 * STRUCTURE_WEIGHT;
/** Weight of a cue in the heading that opened the block's section ("Sponsored", "Related"). */
export const HEADING_CUE_WEIGHT = 2 * STRUCTURE_WEIGHT;
/** Weight of one word of block text. */
export const TEXT_WEIGHT = 1;
/**
 * Most total weight a block's words carry, in words at TEXT_WEIGHT; a longer block's words share
 * it. Cross-validated macro F1 is flat from 30 to 40 (0.904) and real-page precision rose from
 * 0.955 to 0.965 (README, "Classifier"); 20 and 60 were no better.
 */
export const TEXT_WORD_BUDGET = 40;
/** Weight of one class/id token (many per block, often template-specific). */
export const CLASS_WEIGHT = 1;
/** Weight of one second-pass context token (a neighbour's or the container's first-pass label). */
export const CONTEXT_WEIGHT = 1;
/** Weight of one word of the section heading above the block ("Sponsored", "Related"). */
export const HEADING_WEIGHT = 2;
/** Blocks of at most this many words are short: labels, buttons, ad markers. */
export const SHORT_BLOCK_WORDS = 4;
/** Share of a listing's blocks that must show a cue for the whole listing to carry it. */
export const LISTING_CUE_SHARE = 0.25;
/** A word repeated in one block counts at most this many times. */
export const MAX_WORD_REPEAT = 3;

/** Text patterns that mark selling, whatever the language. */
export const PATTERNS = {
  /** A currency amount: $19.99, 19,99 €, £5, USD 20. */
  price: /(?:[$€£¥₹]\s?\d|\d(?:[.,]\d{1,2})?\s?(?:[$€£¥₹]|usd|eur|gbp)\b)/i,
  /** A discount: 30% off, -20 %, save 15%. */
  discount: /(?:\d{1,2}\s?%\s?(?:off|rabatt|de réduction|de descuento)|-\s?\d{1,2}\s?%|save\s+\d)/i,
  /** A coupon-code-like token: SAVE20, WELCOME10 (capitals and digits). */
  code: /\b[A-Z]{3,}\d{1,3}\b/,
  /** Ends like a sentence. */
  sentenceEnd: /[.!?…:;"'»”)]$/,
};
