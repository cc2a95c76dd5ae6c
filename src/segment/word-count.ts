import { CDATA_SECTION_NODE, TEXT_NODE } from '../dom/nodes.js';
import { classOf, isSurrogate, WORD } from '../features/char-classes.js';

/** A word: a run of letters and digits, in any script. */
const WORD_RUN = /[\p{L}\p{N}]+/gu;
const STARTS_WITH_WORD = /^[\p{L}\p{N}]/u;
const ENDS_WITH_WORD = /[\p{L}\p{N}]$/u;

/** Number of words (runs of letters and digits) in the text. */
export function countWords(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Astral characters are left to the regex, which reads code points.
    if (isSurrogate(code)) return countWordsByRegex(text);
    const isWord = (classOf(code) & WORD) !== 0;
    if (isWord && !inWord) count++;
    inWord = isWord;
  }
  return count;
}

function countWordsByRegex(text: string): number {
  const matches = text.match(WORD_RUN);
  return matches ? matches.length : 0;
}

function startsWithWord(text: string): boolean {
  const code = text.charCodeAt(0);
  return isSurrogate(code) ? STARTS_WITH_WORD.test(text) : (classOf(code) & WORD) !== 0;
}

function endsWithWord(text: string): boolean {
  const code = text.charCodeAt(text.length - 1);
  return isSurrogate(code) ? ENDS_WITH_WORD.test(text) : (classOf(code) & WORD) !== 0;
}

/**
 * Whether the element's `textContent` holds more than `limit` words, read text node by text node
 * and stopping as soon as it does: a container's first words answer for a whole page section.
 * Words are counted as in the concatenated text, so a word split across two text nodes
 * (`foo<b>bar</b>`) counts once. Same answer as `countWords(element.textContent) > limit`: the
 * count of a prefix of the text never exceeds the count of the whole.
 */
export function hasMoreWordsThan(element: Element, limit: number): boolean {
  let count = 0;
  let previousEndsInWord = false;
  // Document order without recursion: down to the first child, else across, else up and across.
  let node: Node | null = element.firstChild;
  while (node !== null) {
    const type = node.nodeType;
    if (type === TEXT_NODE || type === CDATA_SECTION_NODE) {
      const data = (node as CharacterData).data;
      if (data.length > 0) {
        count += countWords(data);
        if (previousEndsInWord && startsWithWord(data)) count--;
        if (count > limit) return true;
        previousEndsInWord = endsWithWord(data);
      }
    }
    let next: Node | null = node.firstChild;
    let current: Node = node;
    while (next === null && current !== element) {
      next = current.nextSibling;
      if (next === null) current = current.parentNode!;
    }
    node = next;
  }
  return false;
}

/** What `\s` matches: ECMAScript white space and line terminators. */
function isSpace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/**
 * Whether the element's `textContent`, with whitespace runs collapsed to one space and trimmed,
 * is longer than `limit` characters. Counted text node by text node, without building the text,
 * and stopping as soon as it is.
 */
export function hasLongerTextThan(element: Element, limit: number): boolean {
  let length = 0;
  let spaceBefore = false;
  let node: Node | null = element.firstChild;
  while (node !== null) {
    const type = node.nodeType;
    if (type === TEXT_NODE || type === CDATA_SECTION_NODE) {
      const data = (node as CharacterData).data;
      for (let i = 0; i < data.length; i++) {
        if (isSpace(data.charCodeAt(i))) {
          // Leading and trailing space is trimmed: a space counts only before more text.
          if (length > 0) spaceBefore = true;
          continue;
        }
        length += spaceBefore ? 2 : 1;
        spaceBefore = false;
        if (length > limit) return true;
      }
    }
    let next: Node | null = node.firstChild;
    let current: Node = node;
    while (next === null && current !== element) {
      next = current.nextSibling;
      if (next === null) current = current.parentNode!;
    }
    node = next;
  }
  return false;
}
