import { defaultTreeAdapter, parse, serialize } from 'parse5';
import { describe, expect, it } from 'vitest';
import { endTagAt, parseGuarded, plainSvgEnd } from '../../src/dom/guarded-parse.js';
import { guardTreeAdapter } from '../../src/dom/tree-guard.js';
import { DEFAULT_LIMITS } from '../../src/input/prepare.js';

/** The guarded tree as parse5 builds it when it tokenizes everything. */
const tokenizedAll = (html: string) => serialize(parse(html, { treeAdapter: guardTreeAdapter(defaultTreeAdapter, DEFAULT_LIMITS), scriptingEnabled: false }));
const skipped = (html: string) => serialize(parseGuarded(html, defaultTreeAdapter, DEFAULT_LIMITS));

describe('skipping cut content builds the same tree as tokenizing it', () => {
  it('on random markup around scripts, styles and inline SVG', () => {
    const pieces = [
      '<svg>', '</svg>', '<SVG viewBox="0 0 1 1">', '</svg >', '<g>', '</g>', '<path d="M0>1"/>', '<path d=M0/>', '<rect x=1 />', "<use href='#a' />",
      '<title>t</title>', '<foreignObject>', '<text>', '</text>', '<p>', '</p>', '<b>', '</b>', '<div>', '<table>', '<td>', 'x', ' ', '<', '</',
      '<script>', '</script>', '</SCRIPT\n>', '<script type="application/ld+json">', '<style>', '</style>', '</style/>', '<!--', '-->',
      '<![CDATA[', ']]>', '"', "'", '=', '>', '<a href=x>', '</a>', '<textarea>', '</textarea>',
    ];
    let state = 11;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      const html = Array.from({ length: Math.floor(next() * 24) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      expect(skipped(html), JSON.stringify(html)).toBe(tokenizedAll(html));
    }
  });

  it('on the shapes the skips must get right', () => {
    const pages = [
      '<p>a</p><script>if (a < b) x = "</scriptx>"; </script><p>b</p>',
      '<script><!--<script>document.write("</script>")</script>--></script><p>after</p>',
      '<style>p::after { content: "</styles>" }</STYLE ><p>b</p>',
      '<ul><li><a href="#"><svg width="18"></a><ul><li>Choose</li></ul></li></ul><p>c</p><svg><path d="M0"/></svg>',
      '<svg><g><path d="M0 0"></path></g></svg><p>d</p>',
      '<svg><g></svg><p>e</p>',
      '<svg><title>Icon</title><path d="M0"/></svg><p>f</p>',
      '<svg><p>breaks out</p></svg>',
      '<script>never closed <p>gone</p>',
    ];
    for (const html of pages) expect(skipped(html), html).toBe(tokenizedAll(html));
  });
});

describe('end finders', () => {
  it('endTagAt finds `</name` in any case followed by whitespace, / or >, else the page length', () => {
    expect(endTagAt('abc</scriptx></SCRIPT >', 0, 'script')).toBe(13);
    expect(endTagAt('abc</style', 0, 'style')).toBe(10);
    expect(endTagAt('</style/>', 0, 'style')).toBe(0);
  });

  it('plainSvgEnd accepts drawing markup and refuses anything the tree builder treats otherwise', () => {
    const svg = (content: string) => plainSvgEnd(`<svg>${content}</svg>`, 5);
    expect(svg('<path d="M0>1"/><g><circle r="1"></circle></g>')).toBe(5 + '<path d="M0>1"/><g><circle r="1"></circle></g>'.length);
    for (const content of ['<title>x</title>', '<p>x</p>', '<g>', '<!-- c -->', '<path d=M0/>', '<svg></svg>', '<foreignObject></foreignObject>', '<g></path>']) {
      expect(svg(content), content).toBe(-1);
    }
  });
});
