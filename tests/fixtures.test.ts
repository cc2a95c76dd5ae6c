import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABEL_ATTRIBUTE } from '../src/segment/segment.js';
import { defaultFixtureDir, labelFixture, loadFixtures } from '../src/train/fixtures.js';
import { LABELS, type EngineName } from '../src/types.js';

const DIR = defaultFixtureDir();
const PAGES = loadFixtures(DIR);

describe('the fixture set', () => {
  it('lives where the code looks for it', () => {
    expect(existsSync(DIR)).toBe(true);
    expect(DIR.replace(/\\/g, '/')).toMatch(/fixtures\/pages$/);
  });

  it('has at least 40 pages with kebab-case slugs', () => {
    expect(PAGES.length).toBeGreaterThanOrEqual(40);
    for (const page of PAGES) expect(page.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('every page has a meta.json of its own with template and language', () => {
    const problems: string[] = [];
    for (const page of PAGES) {
      const file = join(page.dir, 'meta.json');
      if (!existsSync(file)) {
        problems.push(`${page.slug}: no meta.json`);
        continue;
      }
      const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (typeof meta.template !== 'string' || !meta.template) problems.push(`${page.slug}: no template`);
      if (typeof meta.language !== 'string' || !/^[a-z]{2}(-[A-Za-z]{2})?$/.test(meta.language)) problems.push(`${page.slug}: bad language`);
      if (meta.url !== undefined && !/^https?:\/\//.test(String(meta.url))) problems.push(`${page.slug}: bad url`);
      if (meta.source !== undefined && !['hand-written', 'review-export'].includes(String(meta.source))) problems.push(`${page.slug}: bad source`);
      for (const key of ['promo', 'boilerplate', 'traps']) {
        if (meta[key] !== undefined && !(Array.isArray(meta[key]) && (meta[key] as unknown[]).every((v) => typeof v === 'string'))) {
          problems.push(`${page.slug}: ${key} is not a list of names`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('covers at least 12 templates, 6 promo patterns and 2 non-English languages', () => {
    const templates = new Set(PAGES.map((page) => page.meta.template));
    const promo = new Set(PAGES.flatMap((page) => page.meta.promo ?? []));
    const languages = new Set(PAGES.map((page) => page.meta.language.toLowerCase().slice(0, 2)));
    expect(templates.size).toBeGreaterThanOrEqual(12);
    expect(promo.size).toBeGreaterThanOrEqual(6);
    expect([...languages].filter((lang) => lang !== 'en').length).toBeGreaterThanOrEqual(2);
  });

  it('every page carries labels on the page itself', () => {
    for (const page of PAGES) expect(page.html, page.slug).toContain(`${LABEL_ATTRIBUTE}=`);
  });
});

describe.each(['linkedom', 'jsdom'] as EngineName[])('every fixture page is fully labeled on %s', (engine) => {
  it('labelFixture succeeds on every page, with valid labels and some editorial text', { timeout: 120_000 }, () => {
    const failures: string[] = [];
    const counts = { editorial: 0, promo: 0, boilerplate: 0 };
    for (const page of PAGES) {
      try {
        const labeled = labelFixture(page, { engine });
        expect(labeled.gold).toHaveLength(labeled.analysis.blocks.length);
        expect(labeled.analysis.features).toHaveLength(labeled.analysis.blocks.length);
        if (labeled.gold.length === 0) failures.push(`${page.slug}: no blocks`);
        if (!labeled.gold.includes('editorial')) failures.push(`${page.slug}: no editorial block`);
        for (const label of labeled.gold) {
          expect(LABELS).toContain(label);
          counts[label]++;
        }
        for (const block of labeled.analysis.blocks) {
          if (block.html.includes(LABEL_ATTRIBUTE)) failures.push(`${page.slug}: label attribute in block html`);
        }
      } catch (error) {
        failures.push(`${page.slug}: ${(error as Error).message.split('\n').slice(0, 3).join(' / ')}`);
      }
    }
    expect(failures).toEqual([]);
    // all three labels are represented across the set
    for (const label of LABELS) expect(counts[label]).toBeGreaterThan(50);
  });
});
