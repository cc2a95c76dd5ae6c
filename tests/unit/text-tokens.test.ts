import { describe, expect, it } from 'vitest';
import { classCues } from '../../src/features/cues.js';
import { textTokens } from '../../src/features/text-tokens.js';

/**
 * Reference tokenizer: TOKEN's regex over the lowercased text, then the same filters. The table-
 * driven tokenizer must return exactly this.
 */
function tokensByRegex(text: string, language: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{M}]+|\p{N}+/gu) ?? [];
  return words.filter((word) => word.length <= 24 && (/^\p{N}/u.test(word) || word.length >= 2)).map((word) => (/^\p{N}/u.test(word) ? `#${Math.min(word.length, 4)}` : word));
}

describe('textTokens', () => {
  it('splits letter runs from digit runs and turns numbers into shape tokens', () => {
    expect(textTokens('Save 30% on 2024 models', 'xx')).toEqual(['save', '#2', 'on', '#4', 'models']);
    expect(textTokens('abc123def', 'xx')).toEqual(['abc', '#3', 'def']);
  });

  it('keeps combining marks with their letter and reads non-Latin scripts', () => {
    expect(textTokens('Cafe\u0301 crème', 'xx')).toEqual(['cafe\u0301', 'crème']);
    expect(textTokens('Αθήνα ٣٤٥ город', 'xx')).toEqual(['αθήνα', '#3', 'город']);
  });

  it('matches the regex tokenizer on random text, astral characters included (no stemming, no stop words)', () => {
    const pieces = ['a', 'Q', '7', ' ', 'é', '\u0301', '\u0663', 'İ', 'ß', 'x'.repeat(30), '𝐀', '😀', '\ud800', '-', '中', 'Ⅻ', '½', '\u00a0'];
    let state = 11;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: Math.floor(next() * 14) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      expect(textTokens(text, 'xx'), JSON.stringify(text)).toEqual(tokensByRegex(text, 'xx'));
    }
  });

  it('stems and drops stop words for a known language, and gives the same stem from the cache', () => {
    expect(textTokens('The runners were running', 'en')).toEqual(['runner', 'run']);
    expect(textTokens('running', 'en')).toEqual(['run']);
  });
});

describe('classCues', () => {
  /** The former regex definition: a listed word between non-letters, after camelCase split and lowercasing. */
  const promo = /(?:^|[^a-z])(?:ad|ads|adv|advert|advertisement|adslot|adunit|dfp|gpt|sponsor|sponsored|promo|promoted|taboola|outbrain|trc|affiliate|aff|deal|deals|shop|shopping|commerce|partner|offer|coupon|native|paid|mpu|leaderboard|skyscraper|billboard)(?:[^a-z]|$)/i;
  const chrome = /(?:^|[^a-z])(?:nav|navbar|menu|header|masthead|footer|cookie|consent|gdpr|newsletter|subscribe|signup|share|sharing|social|related|recirc|comment|comments|breadcrumb|breadcrumbs|tags?|author|byline|bio|caption|credit|meta|paywall|meter|toc|pagination|pager|trending|popular)(?:[^a-z]|$)/i;
  const byRegex = (value: string) => {
    const split = value.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    return [...(promo.test(split) ? ['promo'] : []), ...(chrome.test(split) ? ['boilerplate'] : [])];
  };

  it('finds whole class words, camelCase split, not prefixes', () => {
    expect(classCues('ad-slot main')).toEqual(['promo']);
    expect(classCues('adSlot siteNav')).toEqual(['promo', 'boilerplate']);
    expect(classCues('header-adv')).toEqual(['promo', 'boilerplate']);
    expect(classCues('adventure loading')).toEqual([]);
    expect(classCues('')).toEqual([]);
  });

  it('matches the regex definition on random class values', () => {
    const pieces = ['ad', 'Ad', 'ads', 'nav', 'Nav', 'tag', 'tags', 'x', '-', '_', ' ', '1', 'promo', 'shopping', 'ſ', 'K', 'İ', 'é', 'Bar'];
    let state = 3;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20000; i++) {
      const value = Array.from({ length: Math.floor(next() * 6) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      expect(classCues(value), JSON.stringify(value)).toEqual(byRegex(value));
    }
  });
});
