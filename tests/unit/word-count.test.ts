import { describe, expect, it } from 'vitest';
import { parsePage } from '../../src/dom/engine.js';
import { countWords, hasLongerTextThan, hasMoreWordsThan } from '../../src/segment/word-count.js';
import type { EngineName } from '../../src/types.js';

const ENGINES: EngineName[] = ['linkedom', 'jsdom'];

/** The definitions the fast paths must agree with. */
const wordsByRegex = (text: string) => (text.match(/[\p{L}\p{N}]+/gu) ?? []).length;
const collapsedLength = (text: string) => text.replace(/\s+/g, ' ').trim().length;

/** Random strings from pieces that exercise word boundaries: ASCII, accents, marks, CJK, astral, spaces. */
function randomTexts(count: number, seed = 7): string[] {
  const pieces = ['a', 'Z', '9', ' ', '  ', '\t', '\n', '-', '.', 'é', 'e\u0301', '\u0663', '\u00a0', '\u2019', '中文', '\u2003', '𝐀', '😀', '\ud800', 'İ', 'Ⅻ', '½'];
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]).join(''));
}

describe('countWords', () => {
  it('counts runs of letters and digits in any script', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('  ,. - ')).toBe(0);
    expect(countWords('Hello, world: 42 times')).toBe(4);
    expect(countWords('Straße über café')).toBe(3);
    expect(countWords('don’t stop')).toBe(3);
    expect(countWords('中文 text')).toBe(2);
  });

  it('reads astral characters as the regex does (code points, not halves)', () => {
    expect(countWords('𝐀𝐁 and 😀 here')).toBe(3);
    expect(countWords('lone \ud800 surrogate')).toBe(2);
  });

  it('agrees with the regex definition on random text', () => {
    for (const text of randomTexts(5000)) expect(countWords(text), JSON.stringify(text)).toBe(wordsByRegex(text));
  });
});

describe.each(ENGINES)('text measures on %s', (engine) => {
  function element(html: string): Element {
    const page = parsePage(`<!DOCTYPE html><html><body><div id="x">${html}</div></body></html>`, { engine });
    return page.document.getElementById('x')!;
  }

  const samples = [
    'one two three',
    'foo<b>bar</b> baz',
    'a<i></i>b<span> c </span>d',
    '<p>First paragraph here.</p><p>Second one, longer, with more words in it.</p>',
    '<ul><li>x</li><li>y z</li></ul>tail',
    'Stra<b>ß</b>e <em>über</em>',
    '<script>not counted? it is in textContent</script> words',
    '   \n\t  ',
    '',
  ];

  it('hasMoreWordsThan(limit) is countWords(textContent) > limit, words split across nodes counted once', () => {
    for (const html of samples) {
      const el = element(html);
      const words = countWords(el.textContent ?? '');
      for (let limit = 0; limit <= words + 1; limit++) expect(hasMoreWordsThan(el, limit), `${html} > ${limit}`).toBe(words > limit);
    }
    expect(countWords(element('foo<b>bar</b>').textContent ?? '')).toBe(1);
  });

  it('hasLongerTextThan(limit) measures textContent with whitespace collapsed and trimmed', () => {
    for (const html of [...samples, '  lead and  trail  ', 'a\u00a0\u00a0b', '<p> x </p> <p> y </p>']) {
      const el = element(html);
      const length = collapsedLength(el.textContent ?? '');
      for (let limit = 0; limit <= length + 1; limit++) expect(hasLongerTextThan(el, limit), `${html} > ${limit}`).toBe(length > limit);
    }
  });
});
