import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { moderate } from '../../src/pipeline.js';
import { isHeadlineOf } from '../../src/text/headline.js';
import { comparable } from '../../src/text/normalize.js';

describe('isHeadlineOf', () => {
  const headline = (heading: string, title: string) => isHeadlineOf(comparable(heading), comparable(title));

  it('takes the title itself, and a headline the title holds with the site or section beside it', () => {
    expect(headline('Harbour dredging starts next month', 'Harbour dredging starts next month')).toBe(true);
    expect(headline('Harbour dredging starts next month', 'Harbour dredging starts next month | The Gazette')).toBe(true);
    expect(headline('Republicans are following Trump', 'Opinion | Republicans are following Trump')).toBe(true);
  });

  it('refuses a short heading, part of a word, and a heading the title does not hold', () => {
    expect(headline('Harbour', 'Harbour dredging starts next month')).toBe(false);
    expect(headline('dredging starts nex', 'Harbour dredging starts next month')).toBe(false);
    expect(headline('Dredging starts in March', 'Harbour dredging starts next month')).toBe(false);
    expect(headline('', 'Harbour dredging starts next month')).toBe(false);
  });
});

describe('the article body leaves the headline to the title', () => {
  const model = loadModel();
  const page = `<!DOCTYPE html><html lang="en"><head><title>Harbour dredging starts next month after years of delay | The Gazette</title>
<meta property="og:title" content="Harbour dredging starts next month after years of delay | The Gazette"></head><body>
<div class="sticky-bar"><h2>Harbour dredging starts next month after years of delay</h2></div>
<article>
  <h1>Harbour dredging starts next month after years of delay</h1>
  <p>The council confirmed on Tuesday that dredging of the inner harbour will begin in March, ending a delay that has lasted six years and cost the fishing fleet dearly.</p>
  <h2>Harbour dredging starts next month after years of delay</h2>
  <p>Work will take eleven weeks, the council said, and the quay will stay open throughout the works, with boats moved to the outer moorings in turn.</p>
</article></body></html>`;
  const article = moderate(page, { model, url: 'https://gazette.example/harbour' });
  const headline = 'Harbour dredging starts next month after years of delay';

  it('keeps the headline block editorial, out of the text, and heads the Markdown with it as the page shows it', () => {
    const h1 = article.blocks.find((block) => block.tag === 'h1');
    expect(h1?.label).toBe('editorial');
    expect(article.title).toBe(`${headline} | The Gazette`);
    expect(article.text.startsWith('The council confirmed')).toBe(true);
    expect(article.markdown.startsWith(`# ${headline}\n\nThe council confirmed`)).toBe(true);
    expect(article.html).not.toContain('<h1>');
  });

  it('leaves a heading with the same words below the first paragraph of prose in the body', () => {
    const lines = article.text.split('\n');
    expect(lines.indexOf(headline)).toBeGreaterThan(0);
  });
});

describe('the article body leaves the dek to the excerpt', () => {
  const model = loadModel();
  const dek = 'The council says the inner harbour will be clear for the fishing fleet by the summer, six years after the work was first promised.';
  const page = (dekTag: string) => `<!DOCTYPE html><html lang="en"><head><title>Harbour dredging starts next month</title>
<meta name="description" content="${dek}"></head><body><article>
  <h1>Harbour dredging starts next month</h1>
  <${dekTag}>${dek}</${dekTag}>
  <p>The council confirmed on Tuesday that dredging of the inner harbour will begin in March, ending a delay that has lasted six years and cost the fishing fleet dearly.</p>
  <p>Work will take eleven weeks, the council said, and the quay will stay open throughout the works, with boats moved to the outer moorings in turn.</p>
</article></body></html>`;

  it('drops a heading that repeats the description, and keeps it in excerpt', () => {
    const article = moderate(page('h2'), { model, url: 'https://gazette.example/harbour' });
    expect(article.excerpt).toBe(dek);
    expect(article.blocks.find((block) => block.tag === 'h2')?.label).toBe('editorial');
    expect(article.text.startsWith('The council confirmed')).toBe(true);
  });

  it('keeps a paragraph that repeats the description: it may be the lede the description was cut from', () => {
    const article = moderate(page('p'), { model, url: 'https://gazette.example/harbour' });
    expect(article.text.startsWith(dek)).toBe(true);
  });
});

