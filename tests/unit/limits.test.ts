import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { parsePage } from '../../src/dom/engine.js';
import { DEFAULT_LIMITS } from '../../src/input/prepare.js';
import { moderate } from '../../src/pipeline.js';
import type { EngineName } from '../../src/types.js';

describe('element limit', () => {
  // The parser counts the elements it creates: html, head and body are three of them.
  it('parsePage refuses a page with more elements than maxElements', () => {
    const html = `<html><body>${'<i>x</i>'.repeat(50)}</body></html>`;
    expect(() => parsePage(html, { limits: { ...DEFAULT_LIMITS, maxElements: 40 } })).toThrow(/more than 40 elements/);
    expect(parsePage(html, { limits: { ...DEFAULT_LIMITS, maxElements: 60 } }).document.querySelectorAll('i')).toHaveLength(50);
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
