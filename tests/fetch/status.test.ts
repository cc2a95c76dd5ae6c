import { describe, expect, it } from 'vitest';
import { looksLikeMarkup, mediaType } from '../../src/fetch/content-type.js';
import { parseRetryAfter, statusError } from '../../src/fetch/status.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    [undefined, undefined],
    ['', undefined],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ])('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('statusError', () => {
  it.each([
    [200, undefined],
    [299, undefined],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
    [599, true],
    [300, false],
    [304, false],
    [400, false],
    [401, false],
    [404, false],
    [410, false],
    [451, false],
  ])('%i → retryable %s', (status, retryable) => {
    const error = statusError(status, '3', 'http://example.com/');
    expect(error?.retryable).toBe(retryable);
    if (error) expect(error).toMatchObject({ code: 'http_error', status, retryAfterMs: retryable ? 3000 : undefined });
  });
});

describe('content types', () => {
  it.each([
    ['text/html; charset=utf-8', 'text/html'],
    ['  Application/XHTML+XML ', 'application/xhtml+xml'],
    ['', undefined],
    [undefined, undefined],
  ])('mediaType(%s) = %s', (header, expected) => {
    expect(mediaType(header)).toBe(expected);
  });

  it.each([
    ['<!doctype html>', true],
    ['\ufeff  <html>', true],
    ['\n\t<p>', true],
    ['hello', false],
    ['{"a":1}', false],
    ['', false],
  ])('looksLikeMarkup(%j) = %s', (text, expected) => {
    expect(looksLikeMarkup(Buffer.from(text))).toBe(expected);
  });
});
