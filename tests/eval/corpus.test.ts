import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

import { corpusDir, loadCorpus, repoRoot } from '../../src/eval/corpus.js';

// A tiny synthetic corpus in a temp folder (the real corpus is never copied).
const tmp = mkdtempSync(join(tmpdir(), 'winnow-corpus-'));
const set = join(tmp, 'scrapinghub-dev');
mkdirSync(join(set, 'html'), { recursive: true });
writeFileSync(
  join(set, 'ground-truth.json'),
  JSON.stringify({
    b2: { url: 'https://example.com/b', articleBody: 'Body B' },
    a1: { url: 'https://example.com/a', articleBody: 'Body A — café' },
    orphan: { url: 'https://example.com/none', articleBody: 'no html' },
  }),
);
writeFileSync(join(set, 'html', 'a1.html.gz'), gzipSync(Buffer.from('\uFEFF<p>Café ✓</p>', 'utf8')));
writeFileSync(join(set, 'html', 'b2.html.gz'), gzipSync(Buffer.from('<p>B</p>', 'utf8')));
writeFileSync(join(set, 'html', 'extra.html.gz'), gzipSync(Buffer.from('<p>no truth</p>', 'utf8')));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('repoRoot', () => {
  it('finds the folder holding the project package.json', () => {
    const root = repoRoot();
    expect(root).not.toBeNull();
    expect(JSON.parse(readFileSync(join(root!, 'package.json'), 'utf8')).name).toBe('winnow');
    expect(repoRoot(join(root!, 'src', 'eval'))).toBe(root);
  });
});

describe('corpusDir', () => {
  it('takes WINNOW_CORPUS_DIR as the set folder or the folder holding it', () => {
    expect(corpusDir({ WINNOW_CORPUS_DIR: set })).toBe(set);
    expect(corpusDir({ WINNOW_CORPUS_DIR: tmp })).toBe(set);
  });

  it('returns null when the override points nowhere', () => {
    expect(corpusDir({ WINNOW_CORPUS_DIR: join(tmp, 'missing') })).toBeNull();
  });
});

describe('loadCorpus', () => {
  it('gunzips, decodes UTF-8 and joins pages with their ground truth, sorted by id', () => {
    const pages = loadCorpus(set);
    expect(pages).toEqual([
      { id: 'a1', url: 'https://example.com/a', html: '<p>Café ✓</p>', truth: 'Body A — café' },
      { id: 'b2', url: 'https://example.com/b', html: '<p>B</p>', truth: 'Body B' },
    ]);
  });
});
