import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { countStartTags, DEFAULT_LIMITS, preparePage } from '../../src/input/prepare.js';
import { moderate } from '../../src/pipeline.js';
import type { EngineName } from '../../src/types.js';

describe('element limit', () => {
  it('countStartTags counts start tags only and stops past the limit', () => {
    expect(countStartTags('<p>a</p><br/><!-- <b> --> 1 < 2')).toBe(3);
    expect(countStartTags('<i>x</i>'.repeat(100), 10)).toBe(11);
  });

  it('preparePage refuses a page with more elements than maxElements', () => {
    const html = `<html><body>${'<i>x</i>'.repeat(50)}</body></html>`;
    expect(() => preparePage(html, { ...DEFAULT_LIMITS, maxElements: 40 })).toThrow(/more than 40 elements/);
    expect(preparePage(html, { ...DEFAULT_LIMITS, maxElements: 60 })).toContain('<i>x</i>');
  });

  it.each(['linkedom', 'jsdom'] as EngineName[])('a flat page over the element limit is too_large on %s, quickly', (engine) => {
    const html = `<html><body>${'<i>x</i>'.repeat(DEFAULT_LIMITS.maxElements + 10)}</body></html>`;
    let code: unknown;
    try {
      moderate(html, { model: loadModel(), engine });
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe('too_large');
  }, 30_000);
});
