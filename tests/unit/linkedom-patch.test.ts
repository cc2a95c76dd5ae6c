import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('the linkedom patch (patches/linkedom+*.patch, applied on install)', () => {
  it('is applied to both builds: no listener map is made per node at construction', () => {
    for (const build of ['esm', 'cjs']) {
      const file = require.resolve(`linkedom/package.json`).replace(/package\.json$/, `${build}/interface/event-target.js`);
      const source = readFileSync(file, 'utf8');
      const constructorBody = source.slice(source.indexOf('constructor() {'), source.indexOf('}', source.indexOf('constructor() {')));
      expect(constructorBody).not.toContain('wm.set');
    }
  });

  it('keeps listeners working: added, dispatched, bubbled, removed, and removal from a node that never had one', () => {
    const { document, Event } = parseHTML('<!DOCTYPE html><html><body><div><p>text</p></div></body></html>');
    const div = document.querySelector('div')!;
    const p = document.querySelector('p')!;
    const seen: string[] = [];
    const onDiv = () => seen.push('div');
    p.addEventListener('ping', () => seen.push('p'));
    div.addEventListener('ping', onDiv);
    p.dispatchEvent(new Event('ping', { bubbles: true }));
    expect(seen).toEqual(['p', 'div']);
    div.removeEventListener('ping', onDiv);
    p.dispatchEvent(new Event('ping', { bubbles: true }));
    expect(seen).toEqual(['p', 'div', 'p']);
    expect(() => document.body.removeEventListener('ping', onDiv)).not.toThrow();
    expect(() => document.body.dispatchEvent(new Event('ping'))).not.toThrow();
  });
});
