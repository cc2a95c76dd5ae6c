import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../src/classify/model.js';
import { WinnowError } from '../src/errors.js';
import { moderate, moderateBytes } from '../src/pipeline.js';
import type { Article, EngineName } from '../src/types.js';

const ENGINES: EngineName[] = ['linkedom', 'jsdom'];
const T = { timeout: 30_000 };

let model: Model;
beforeAll(() => {
  model = loadModel();
});

type Outcome = { article: Article; code?: undefined } | { article?: undefined; code: string };

/** Run one call: an article, or the typed code of the error (any untyped throw fails the test). */
function outcome(fn: () => Article): Outcome {
  try {
    return { article: fn() };
  } catch (error) {
    expect(error, `untyped error: ${(error as Error)?.stack}`).toBeInstanceOf(WinnowError);
    return { code: (error as WinnowError).code };
  }
}

const norm = (text: string) => text.replace(/\s+/g, ' ').trim();

const P1 =
  'The city council voted on Tuesday to approve the new budget for the public library system, which will extend opening hours across all eleven branches from next spring.';
const P2 =
  'Residents packed the meeting room to speak for and against the plan, and the debate ran late into the evening before the final vote was taken by a show of hands.';
const P3 =
  'Library staff said the extra hours would be covered by hiring fourteen part-time assistants, most of them students from the nearby university and the technical college.';

const articlePage = (body: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Library budget approved</title></head><body>${body}</body></html>`;

/** Unicode → windows-1251 for ASCII and the basic Cyrillic alphabet (А..я = C0..FF, Ё A8, ё B8). */
function toCp1251(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if (code >= 0x410 && code <= 0x44f) out.push(code - 0x410 + 0xc0);
    else if (code === 0x401) out.push(0xa8);
    else if (code === 0x451) out.push(0xb8);
    else if (code === 0x2014) out.push(0x97);
    else throw new Error(`no cp1251 byte for ${ch}`);
  }
  return Buffer.from(out);
}

describe.each(ENGINES)('bad input through moderateBytes / moderate on %s', (engine) => {
  it('empty file → empty (bytes); empty string → empty or no_article, never an empty article', T, () => {
    expect(outcome(() => moderateBytes(new Uint8Array(0), { model, engine })).code).toBe('empty');
    expect(outcome(() => moderateBytes(new Uint8Array(Buffer.from('  \n\t \r\n')), { model, engine })).code).toBe('empty');
    for (const html of ['', '   \n  ']) {
      expect(['empty', 'no_article']).toContain(outcome(() => moderate(html, { model, engine })).code);
    }
  });

  it('binary → not_text', T, () => {
    const png = Buffer.alloc(3000);
    Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(png);
    for (let i = 16; i < png.length; i++) png[i] = (i * 7919) % 256;
    expect(outcome(() => moderateBytes(new Uint8Array(png), { model, engine, contentType: 'text/html' })).code).toBe('not_text');
  });

  it('non-HTML → not_html (JSON, plain text)', T, () => {
    expect(outcome(() => moderateBytes(new Uint8Array(Buffer.from('{"items":[1,2,3],"html":"<p>x</p>"}')), { model, engine })).code).toBe(
      'not_html',
    );
    expect(outcome(() => moderateBytes(new Uint8Array(Buffer.from('Just a plain text note.\nSecond line.\n')), { model, engine })).code).toBe(
      'not_html',
    );
  });

  it('plain text or JSON handed to moderate() as a string never throws an untyped error', T, () => {
    for (const html of ['Just a plain text note.', '{"a":1}']) {
      const result = outcome(() => moderate(html, { model, engine }));
      if (result.article) expect(typeof result.article.text).toBe('string');
    }
  });

  it('20 MB of HTML → too_large, quickly', T, () => {
    const html = articlePage(`<p>${P1}</p>\n`.repeat(Math.ceil(20e6 / (P1.length + 8))));
    expect(html.length).toBeGreaterThan(20e6);
    let started = performance.now();
    expect(outcome(() => moderateBytes(new Uint8Array(Buffer.from(html)), { model, engine })).code).toBe('too_large');
    expect(performance.now() - started).toBeLessThan(5000);
    started = performance.now();
    expect(outcome(() => moderate(html, { model, engine })).code).toBe('too_large');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('100,000-deep nesting → too_deep, quickly', T, () => {
    const html = articlePage('<div>'.repeat(100_000) + P1 + '</div>'.repeat(100_000));
    const started = performance.now();
    expect(outcome(() => moderate(html, { model, engine })).code).toBe('too_deep');
    expect(outcome(() => moderateBytes(new Uint8Array(Buffer.from(html)), { model, engine })).code).toBe('too_deep');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('unclosed <p>, <li> and <div> tags → the article text', T, () => {
    const html = `<html><head><title>Library budget approved</title></head><body><div class="story"><h1>Library budget approved</h1><p>${P1}<p>${P2}<p>${P3}<ul><li>Eleven branches<li>Fourteen assistants</ul>`;
    const article = moderate(html, { model, engine });
    for (const p of [P1, P2, P3]) expect(norm(article.text)).toContain(p);
  });

  it('<p> inside <span> and block soup inside inline elements → the article text', T, () => {
    const html = articlePage(
      `<article><h1>Library budget approved</h1><span class="lead"><p>${P1}</p></span><a href="/x"><div><p>${P2}</p></div></a><b><p>${P3}</p></b></article>`,
    );
    const article = moderate(html, { model, engine });
    for (const p of [P1, P2, P3]) expect(norm(article.text)).toContain(p);
  });

  it('<table> soup (unclosed cells and rows, text directly in <table>) → no throw, article text kept', T, () => {
    const html = articlePage(
      `<article><h1>Library budget approved</h1><p>${P1}</p><table><tr><td>Branch<td>Hours<tr><td>Central<td>9-21</table><p>${P2}</p><table>stray text<tr><td>${P3}</table></article>`,
    );
    const article = moderate(html, { model, engine });
    for (const p of [P1, P2]) expect(norm(article.text)).toContain(p);
    expect(article.blocks.map((b) => b.text).join('\n')).toContain('Central');
  });

  it('a stray </body> mid-page: the text after it is still part of the page', T, () => {
    const html = `<!DOCTYPE html><html><head><title>Library budget approved</title></head><body><article><h1>Library budget approved</h1><p>${P1}</p></body><p>${P2}</p><p>${P3}</p></article></html>`;
    const article = moderate(html, { model, engine });
    const all = norm(article.blocks.map((b) => b.text).join(' '));
    for (const p of [P1, P2, P3]) expect(all).toContain(p);
    for (const p of [P1, P2, P3]) expect(norm(article.text)).toContain(p);
  });

  it('a page without <html>/<body> tags (valid HTML5) → the article text', T, () => {
    const html = `<!DOCTYPE html><title>Library budget approved</title><h1>Library budget approved</h1><p>${P1}</p><p>${P2}</p><p>${P3}</p>`;
    const article = moderate(html, { model, engine });
    expect(article.blocks.length).toBeGreaterThanOrEqual(4);
    for (const p of [P1, P2, P3]) expect(norm(article.text)).toContain(p);
  });

  it('windows-1251 page without a header but with <meta charset> → Cyrillic text in article.text', T, () => {
    const paragraphs = [
      'Городской совет во вторник утвердил новый бюджет публичных библиотек, который продлит часы работы всех одиннадцати филиалов со следующей весны.',
      'Жители заполнили зал заседаний, чтобы высказаться за и против плана, и обсуждение затянулось до позднего вечера, прежде чем состоялось голосование.',
      'Сотрудники библиотек сообщили, что дополнительные часы будут обеспечены за счёт найма четырнадцати помощников, в основном студентов местного университета.',
    ];
    // the hand-made encoder agrees with hand-written bytes
    expect(toCp1251('Привет, мир!').toString('hex')).toBe('cff0e8e2e5f22c20ece8f021');
    const html = `<!DOCTYPE html><html lang="ru"><head><meta charset="windows-1251"><title>Бюджет библиотек утверждён</title></head><body><article><h1>Бюджет библиотек утверждён</h1>${paragraphs
      .map((p) => `<p>${p}</p>`)
      .join('')}</article></body></html>`;
    const bytes = new Uint8Array(toCp1251(html));
    const article = moderateBytes(bytes, { model, engine, contentType: 'text/html' });
    expect(article.text).not.toContain('\uFFFD');
    for (const p of paragraphs) expect(norm(article.text)).toContain(p);
    expect(article.title).toBe('Бюджет библиотек утверждён');
  });

  it('header says utf-8 but the bytes are latin1 → no U+FFFD in the article', T, () => {
    const text = [
      "Le conseil municipal a approuvé mardi le nouveau budget des bibliothèques, qui prolongera les horaires d'ouverture de toutes les succursales dès le printemps prochain.",
      'Les habitants ont rempli la salle pour défendre ou critiquer le projet, et le débat s’est prolongé tard dans la soirée avant le vote à main levée.',
    ].map((p) => p.replace('’', "'"));
    const html = `<!DOCTYPE html><html lang="fr"><head><title>Budget approuvé</title></head><body><article><h1>Budget des bibliothèques approuvé</h1>${text
      .map((p) => `<p>${p}</p>`)
      .join('')}</article></body></html>`;
    const article = moderateBytes(new Uint8Array(Buffer.from(html, 'latin1')), { model, engine, contentType: 'text/html; charset=utf-8' });
    expect(article.text).not.toContain('\uFFFD');
    expect(article.blocks.map((b) => b.text).join(' ')).not.toContain('\uFFFD');
    for (const p of text) expect(norm(article.text)).toContain(p);
  });

  it('a page of only whitespace nodes → no_article, not an article with empty text', T, () => {
    const html = '<!DOCTYPE html><html><head><title></title></head><body>\n   <div>   </div>\n\t<span> </span><p>\u00a0</p>\n<ul> <li> </li> </ul>  </body></html>';
    expect(outcome(() => moderate(html, { model, engine })).code).toBe('no_article');
    expect(outcome(() => moderateBytes(new Uint8Array(Buffer.from(html)), { model, engine })).code).toBe('no_article');
  });

  it('a one-word page → its word, as a fallback article, never an empty one', T, () => {
    const article = moderate('<p>Hi.</p>', { model, engine });
    expect(article.text).toBe('Hi.');
  });

  it('a page with no article at all (just navigation) → a result, no throw', T, () => {
    const html = `<!DOCTYPE html><html><head><title>Site</title></head><body><header><nav><ul>${['Home', 'News', 'Sport', 'Weather', 'About us', 'Contact']
      .map((item) => `<li><a href="/${item.toLowerCase().replace(' ', '-')}">${item}</a></li>`)
      .join('')}</ul></nav></header><footer><p>© 2026 Example Media</p></footer></body></html>`;
    const article = moderateBytes(new Uint8Array(Buffer.from(html)), { model, engine, url: 'https://example.test/' });
    expect(article.blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of article.blocks) {
      expect(['editorial', 'promo', 'boilerplate']).toContain(block.label);
      expect(block.confidence).toBeGreaterThanOrEqual(0);
      expect(block.confidence).toBeLessThanOrEqual(1);
    }
    expect(typeof article.text).toBe('string');
    expect(article.url).toBe('https://example.test/');
  });
});
