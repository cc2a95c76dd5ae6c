/**
 * Unicode character classes of single UTF-16 code units, looked up in a table instead of
 * matched with a `\p{…}` regex, which on block-sized texts is several times slower. The table
 * covers the Basic Multilingual Plane and is filled on first use of each code unit (64 KB at
 * most); surrogates (astral characters) are not classified here and callers fall back to the
 * regex for any text holding one.
 */

const KNOWN = 1;
/** `\p{L}` or `\p{N}`: a word character. */
export const WORD = 2;
/** `\p{L}` or `\p{M}`: a letter or combining mark. */
export const LETTER_OR_MARK = 4;
/** `\p{N}`: a digit of any script. */
export const NUMBER = 8;

const classes = new Uint8Array(0x10000);
const IS_WORD = /^[\p{L}\p{N}]$/u;
const IS_LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
const IS_NUMBER = /^\p{N}$/u;

/** True for a high or low surrogate: half of an astral character, not classified here. */
export function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

/** The class bits (WORD, LETTER_OR_MARK, NUMBER) of a code unit that is not a surrogate. */
export function classOf(code: number): number {
  let bits = classes[code];
  if (bits === 0) {
    const char = String.fromCharCode(code);
    bits = KNOWN;
    if (IS_WORD.test(char)) bits |= WORD;
    if (IS_LETTER_OR_MARK.test(char)) bits |= LETTER_OR_MARK;
    if (IS_NUMBER.test(char)) bits |= NUMBER;
    classes[code] = bits;
  }
  return bits;
}
