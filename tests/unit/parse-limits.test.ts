import { defaultTreeAdapter, parse as parse5, type DefaultTreeAdapterMap } from 'parse5';
import { describe, expect, it } from 'vitest';
import { parsePage } from '../../src/dom/engine.js';
import { guardTreeAdapter } from '../../src/dom/tree-guard.js';
import { PageTooDeepError, PageTooLargeError, WinnowError } from '../../src/errors.js';
import { DEFAULT_LIMITS, type PageLimits } from '../../src/input/prepare.js';
import type { EngineName } from '../../src/types.js';

const ENGINES: EngineName[] = ['linkedom', 'jsdom'];

function errorOf(fn: () => unknown): WinnowError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WinnowError);
    return error as WinnowError;
  }
  throw new Error('did not throw');
}

/** Deepest element in the built tree (`<html>` is 1), walked without recursion. */
function treeDepth(document: Document): number {
  let max = 0;
  const stack: [Element, number][] = [[document.documentElement, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [element, depth] = item;
    max = Math.max(max, depth);
    for (let child = element.firstElementChild; child; child = child.nextElementSibling) stack.push([child, depth + 1]);
  }
  return max;
}

function parse(html: string, engine: EngineName, limits: PageLimits = DEFAULT_LIMITS) {
  const page = parsePage(html, { engine, limits });
  const depth = treeDepth(page.document);
  const text = page.document.body?.textContent ?? '';
  page.dispose();
  return { depth, text };
}

describe.each(ENGINES)('depth is the depth of the tree built, on %s', (engine) => {
  it('1,500 <div> inside a comment are not elements', () => {
    const html = `<html><body><!-- ${'<div>'.repeat(1500)} --><p>After the comment.</p></body></html>`;
    expect(parse(html, engine).text).toBe('After the comment.');
  });

  it('1,500 <div> inside a <textarea> are its text', () => {
    const html = `<html><body><textarea>${'<div>'.repeat(1500)}</textarea><p>After.</p></body></html>`;
    expect(parse(html, engine).text).toContain('After.');
  });

  it('`<div></i>` x 2,100: stray end tags do not hide the nesting, too_deep', () => {
    const error = errorOf(() => parse('<div></i>'.repeat(2100), engine));
    expect(error).toBeInstanceOf(PageTooDeepError);
    expect(error.code).toBe('too_deep');
  });

  it('100,000 nested divs are refused with too_deep', () => {
    const html = '<html><body>' + '<div>'.repeat(100_000) + 'x' + '</div>'.repeat(100_000) + '</body></html>';
    expect(errorOf(() => parse(html, engine)).code).toBe('too_deep');
  });

  it('998 nested divs (depth 1,000 with <html> and <body>) are accepted', () => {
    const { depth, text } = parse('<div>'.repeat(998) + 'deep' + '</div>'.repeat(998), engine);
    expect(depth).toBe(1000);
    expect(text).toBe('deep');
  });

  it('accepts exactly maxDepth and refuses maxDepth + 1', () => {
    const limits = { ...DEFAULT_LIMITS, maxDepth: 20 };
    // html and body are two of the twenty.
    const nested = (n: number) => '<div>'.repeat(n) + 'x' + '</div>'.repeat(n);
    expect(parse(nested(18), engine, limits).depth).toBe(20);
    expect(errorOf(() => parse(nested(19), engine, limits)).code).toBe('too_deep');
  });

  it('unclosed <p>, <li>, <td> and <option> close themselves: thousands do not nest', () => {
    const html = '<html><body><ul>' + '<li>item'.repeat(3000) + '</ul>' + '<p>para'.repeat(3000) + '<table>' + '<tr><td>a<td>b'.repeat(1000) + '</table></body></html>';
    expect(parse(html, engine).depth).toBeLessThan(10);
  });

  it('depth inside a tokenized <svg> counts: the parser holds it all the same', () => {
    // The <title> makes the parser tokenize the SVG (src/dom/guarded-parse.ts): its depth counts though the svg is cut.
    const html = '<p>a</p><svg><title>t</title>' + '<g>'.repeat(5000) + '</g>'.repeat(5000) + '</svg><p>b</p>';
    expect(errorOf(() => parse(html, engine)).code).toBe('too_deep');
  });

  it('plain drawing markup in a cut <svg> is skipped unparsed, so its depth never reaches the parser', () => {
    const html = '<p>a</p><svg>' + '<g>'.repeat(5000) + '</g>'.repeat(5000) + '</svg><p>b</p>';
    expect(parse(html, engine).text).toBe('ab');
  });
});

describe.each(ENGINES)('element count, on %s', (engine) => {
  it('tags in comments and attribute values are not elements', () => {
    const limits = { ...DEFAULT_LIMITS, maxElements: 10 };
    const html = `<html><body><!-- ${'<i>'.repeat(100)} --><p title="${'<b>'.repeat(100)}">x</p></body></html>`;
    expect(parse(html, engine, limits).text).toBe('x');
  });

  it('a page over maxElements is too_large', () => {
    const error = errorOf(() => parse(`<html><body>${'<i>x</i>'.repeat(50)}</body></html>`, engine, { ...DEFAULT_LIMITS, maxElements: 40 }));
    expect(error).toBeInstanceOf(PageTooLargeError);
    expect(error.code).toBe('too_large');
  });

  it('a page over maxHtmlBytes is too_large before parsing', () => {
    expect(errorOf(() => parse('<p>' + 'a'.repeat(2000) + '</p>', engine, { ...DEFAULT_LIMITS, maxHtmlBytes: 1000 })).code).toBe('too_large');
  });
});

describe('guardTreeAdapter on misnested markup', () => {
  type P5Node = DefaultTreeAdapterMap['node'];
  const isElement = (node: P5Node): node is DefaultTreeAdapterMap['element'] => defaultTreeAdapter.isElementNode(node);
  /** Depth of an element attached to the document, or 0 when it hangs in a detached subtree. */
  const attachedDepth = (node: P5Node): number => {
    let depth = 0;
    let at: P5Node | null = node;
    for (; at && 'parentNode' in at && at.parentNode; at = at.parentNode) if (isElement(at)) depth++;
    return at?.nodeName === '#document' ? depth : 0;
  };
  /** Deepest the tree gets at any moment of the parse, and its depth at the end. */
  const depthsOf = (html: string) => {
    let deepest = 0;
    const visit = (node: P5Node): void => {
      if (!isElement(node)) return;
      deepest = Math.max(deepest, attachedDepth(node));
      node.childNodes.forEach(visit);
    };
    const probe = {
      ...defaultTreeAdapter,
      appendChild: (parent: DefaultTreeAdapterMap['parentNode'], node: DefaultTreeAdapterMap['childNode']) => (defaultTreeAdapter.appendChild(parent, node), visit(node)),
      insertBefore: (parent: DefaultTreeAdapterMap['parentNode'], node: DefaultTreeAdapterMap['childNode'], reference: DefaultTreeAdapterMap['childNode']) =>
        (defaultTreeAdapter.insertBefore(parent, node, reference), visit(node)),
    };
    const document = parse5(html, { treeAdapter: probe, scriptingEnabled: false });
    const finalDepth = (node: P5Node): number => (isElement(node) || node.nodeName === '#document' ? Math.max(0, ...('childNodes' in node ? node.childNodes : []).map(finalDepth)) + (isElement(node) ? 1 : 0) : 0);
    return { deepest, final: finalDepth(document) };
  };
  const guarded = (html: string, maxDepth: number) => () =>
    parse5(html, { treeAdapter: guardTreeAdapter(defaultTreeAdapter, { ...DEFAULT_LIMITS, maxDepth }), scriptingEnabled: false });

  // Misnested formatting end tags make the parser move subtrees and clone elements (the adoption
  // agency), so the tree can be deeper than the tags read, and a subtree can move up after it was
  // deep. The limit holds on the deepest the tree gets while it is built, which is never less
  // than the depth of the tree at the end.
  it('accepts a page at the deepest its tree gets while built, refuses it one below', () => {
    const pieces = ['<b>', '</b>', '<i>', '</i>', '<a href=x>', '</a>', '<div>', '</div>', '<p>', '</p>', '<table>', '<tr>', '<td>', '</table>',
      '<ul>', '<li>', '</ul>', '<font>', '</font>', '<span>', '</span>', '<nobr>', '<h1>', '</h1>', '<math>', '<mi>', '</math>', '<button>', 'x'];
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let moved = 0;
    for (let i = 0; i < 300; i++) {
      const html = Array.from({ length: 10 + Math.floor(next() * 60) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      const { deepest, final } = depthsOf(html);
      expect(final).toBeLessThanOrEqual(deepest);
      if (final < deepest) moved++;
      expect(guarded(html, deepest), html).not.toThrow();
      expect(guarded(html, deepest - 1), html).toThrow(PageTooDeepError);
    }
    // The sample does exercise subtrees moving up.
    expect(moved).toBeGreaterThan(10);
  });
});
