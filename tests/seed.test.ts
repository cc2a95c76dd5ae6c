import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../src/classify/model.js';
import { parsePage } from '../src/dom/engine.js';
import { moderate } from '../src/pipeline.js';
import { fixtureTruthText } from '../src/train/fixtures.js';
import type { Article, EngineName } from '../src/types.js';

/**
 * The seed page rendition (fixtures/pages/ai-news-featured-1): a news article followed, in source
 * order, by a 62-card "Featured" tool rail that is longer than the article itself. The truth
 * comes from the fixture's own editorial labels, so this test does not depend on ../shared.
 */
const DIR = join(import.meta.dirname, '../fixtures/pages/ai-news-featured-1');
const RAW = readFileSync(join(DIR, 'page.html'), 'utf8');
const META = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as { url: string };
const HTML = RAW.replace(/\sdata-winnow-label="[^"]*"/g, '');

const norm = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Texts of the elements matching a selector in the raw page (parsed once, with jsdom). */
const RAW_PAGE = parsePage(RAW, { engine: 'jsdom' });
afterAll(() => RAW_PAGE.dispose());
function textsOf(selector: string): string[] {
  return Array.from(RAW_PAGE.document.querySelectorAll(selector), (el) => norm(el.textContent ?? '')).filter(Boolean);
}

const TRUTH_LINES = fixtureTruthText(RAW, META.url)
  .split('\n')
  .map(norm)
  .filter(Boolean);
const TRUTH = norm(TRUTH_LINES.join(' '));

describe('seed page fixture', () => {
  it('is what this test expects: labels present, then stripped', () => {
    expect(RAW).toContain('data-winnow-label');
    expect(HTML).not.toContain('data-winnow-label');
    expect(META.url).toMatch(/^https:\/\//);
    expect(TRUTH_LINES.length).toBeGreaterThanOrEqual(25);
    // The labels' article text is the body: the headline is left to the title, as moderate() does.
    expect(TRUTH).not.toContain('Tesla Operationalizes AI Training Center in China to Power FSD Ambitions');
    expect(RAW_PAGE.document.querySelector('h1')?.textContent).toContain('Tesla Operationalizes AI Training Center');
    expect(textsOf('.ft-card__name')).toHaveLength(62);
    expect(textsOf('.ft-card__desc')).toHaveLength(62);
  });
});

describe.each(['linkedom', 'jsdom'] as EngineName[])('the seed page through moderate() on %s', (engine) => {
  let model: Model;
  let article: Article;
  let text: string;

  beforeAll(() => {
    model = loadModel();
    article = moderate(HTML, { url: META.url, engine, model });
    text = norm(article.text);
  });

  it('keeps every editorial paragraph, heading, bullet and table row', () => {
    // The headline is the article's title field; the body text starts after it.
    expect(article.title).toBe('Tesla Operationalizes AI Training Center in China to Power FSD Ambitions');
    expect(text).not.toContain(article.title);
    const missing = TRUTH_LINES.filter((line) => !text.includes(line));
    expect(missing).toEqual([]);
  });

  it('keeps the 3 bullet items and every cell of the 6 table rows', () => {
    const bullets = textsOf('article.news-body li');
    expect(bullets).toHaveLength(3);
    for (const bullet of bullets) expect(text).toContain(bullet);
    const rows = textsOf('article.news-body tr');
    expect(rows).toHaveLength(6);
    const cells = textsOf('article.news-body th, article.news-body td');
    expect(cells).toHaveLength(18);
    for (const cell of cells) expect(text).toContain(cell);
    // each row's cells stay on one line, in order, tab-separated
    expect(article.text).toContain('Sensor Suite\tVision-Only (Cameras)\tFusion (Cameras + LiDAR + Radar)');
  });

  it('drops all 62 Featured names and descriptions, the nav, the next-article teaser and the footer', () => {
    const unwanted = [
      'Featured',
      ...textsOf('.ft-card__name'),
      ...textsOf('.ft-card__desc'),
      ...textsOf('header.site-header a'),
      ...textsOf('.next-teaser__title, .next-teaser__summary'),
      ...textsOf('footer.site-footer p, footer.site-footer h4, footer.site-footer a'),
    ];
    expect(unwanted.length).toBeGreaterThan(140);
    // A phrase that is also part of the article itself cannot be tested for absence.
    const testable = unwanted.filter((phrase) => !TRUTH.includes(phrase));
    expect(unwanted.length - testable.length).toBeLessThanOrEqual(3);
    const leaked = testable.filter((phrase) => text.includes(phrase));
    expect(leaked).toEqual([]);
  });

  it('labels the rail promo and the chrome not editorial', () => {
    const byText = (needle: string) => article.blocks.filter((b) => norm(b.text).includes(needle));
    for (const name of ['ThumbnailCreator.com', 'Paper Banana', 'Free AI Video Maker & Generator']) {
      const blocks = byText(name);
      expect(blocks.length).toBeGreaterThan(0);
      for (const block of blocks) expect(block.label).toBe('promo');
    }
    for (const block of byText('All rights reserved')) expect(block.label).not.toBe('editorial');
  });

  it('article.html has the list (one <ul>, 3 <li>) and the table', () => {
    expect(article.html.match(/<ul>/g) ?? []).toHaveLength(1);
    expect(article.html.match(/<li>/g) ?? []).toHaveLength(3);
    expect(article.html).toMatch(/<table>/);
    expect(article.html.match(/<tr>/g) ?? []).toHaveLength(6);
    expect(article.html).toMatch(/<ul>\s*<li><strong>Latency Reduction:<\/strong>/);
    expect(article.html).not.toContain('data-winnow');
  });

  it('markdown has the table as pipe rows and the bullets as a list', () => {
    const lines = article.markdown.split('\n');
    const rows = lines.filter((line) => line.trim().startsWith('|'));
    expect(rows.length).toBeGreaterThanOrEqual(7); // header, separator, 5 body rows
    expect(rows.some((row) => row.includes('Sensor Suite') && row.includes('Vision-Only (Cameras)'))).toBe(true);
    expect(rows.some((row) => /^\|\s*-{3,}/.test(row.trim()))).toBe(true);
    expect(lines.filter((line) => /^-\s+\*\*/.test(line))).toHaveLength(3);
    expect(article.markdown).toMatch(/^# Tesla Operationalizes/m);
  });

  it('carries the page metadata', () => {
    expect(article.url).toBe(META.url);
    expect(article.title).toBe('Tesla Operationalizes AI Training Center in China to Power FSD Ambitions');
    expect(article.engine).toBe(engine);
    expect(article.model).toBe(model.version);
    expect(article.lang?.toLowerCase()).toMatch(/^en/);
  });
});
