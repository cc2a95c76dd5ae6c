import { describe, expect, it } from 'vitest';
import { WinnowError } from '../../src/errors.js';
import { normalizeUrl, tryNormalizeUrl } from '../../src/storage/url-key.js';

describe('normalizeUrl', () => {
  it.each([
    ['lowercases scheme and host', 'HTTPS://News.Example.COM/Path', 'https://news.example.com/Path'],
    ['drops the default http port', 'http://example.com:80/a', 'http://example.com/a'],
    ['drops the default https port', 'https://example.com:443/a', 'https://example.com/a'],
    ['keeps other ports', 'https://example.com:8443/a', 'https://example.com:8443/a'],
    ['drops the fragment', 'https://example.com/a#comments', 'https://example.com/a'],
    ['drops an empty fragment and query', 'https://example.com/a?#', 'https://example.com/a'],
    ['sorts query parameters by name', 'https://example.com/?b=2&a=1&c=3', 'https://example.com/?a=1&b=2&c=3'],
    ['keeps the order of repeated parameters', 'https://example.com/?b=1&a=2&b=0', 'https://example.com/?a=2&b=1&b=0'],
    ['drops utm_* parameters', 'https://example.com/?utm_source=x&id=7&utm_medium=y', 'https://example.com/?id=7'],
    ['drops utm_* in any case', 'https://example.com/?UTM_Campaign=x&id=7', 'https://example.com/?id=7'],
    ['drops the query when only utm_* was there', 'https://example.com/a?utm_source=x', 'https://example.com/a'],
    ['keeps parameters that merely start with utm', 'https://example.com/?utmost=1', 'https://example.com/?utmost=1'],
    ['drops empty pairs', 'https://example.com/?&a=1&&b=2&', 'https://example.com/?a=1&b=2'],
    ['keeps parameter encoding as written', 'https://example.com/?q=caf%C3%A9+au+lait&a=%2F', 'https://example.com/?a=%2F&q=caf%C3%A9+au+lait'],
    ['keeps path case and adds the root slash', 'https://Example.com', 'https://example.com/'],
    ['resolves dot segments', 'https://example.com/a/./b/../c', 'https://example.com/a/c'],
    ['encodes international hosts as punycode', 'https://Bücher.example/x', 'https://xn--bcher-kva.example/x'],
    ['trims surrounding whitespace', '  https://example.com/a \n', 'https://example.com/a'],
  ])('%s', (_case, input, expected) => {
    expect(normalizeUrl(input)).toBe(expected);
  });

  it('is idempotent', () => {
    const once = normalizeUrl('HTTP://Example.com:80/p?z=1&utm_term=t&a=%20#f');
    expect(normalizeUrl(once)).toBe(once);
  });

  it('maps equivalent URLs to one key', () => {
    const keys = new Set(
      [
        'https://news.example.com/story?id=42&page=2',
        'https://NEWS.example.com:443/story?page=2&id=42',
        'https://news.example.com/story?utm_source=newsletter&page=2&id=42#top',
      ].map(normalizeUrl),
    );
    expect(keys.size).toBe(1);
  });

  it('throws bad_input for a relative or malformed URL', () => {
    for (const input of ['/just/a/path', 'example.com/a', '', 'http://']) {
      expect(() => normalizeUrl(input)).toThrow(WinnowError);
      try {
        normalizeUrl(input);
      } catch (error) {
        expect((error as WinnowError).code).toBe('bad_input');
      }
    }
  });
});

describe('tryNormalizeUrl', () => {
  it('returns null instead of throwing', () => {
    expect(tryNormalizeUrl(null)).toBeNull();
    expect(tryNormalizeUrl(undefined)).toBeNull();
    expect(tryNormalizeUrl('not a url')).toBeNull();
    expect(tryNormalizeUrl('https://Example.com/#x')).toBe('https://example.com/');
  });
});
