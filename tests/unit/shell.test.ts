import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { parsePage, ENGINES } from '../../src/dom/engine.js';
import { revealScriptShell } from '../../src/dom/shell.js';
import { moderate } from '../../src/pipeline.js';

const paragraph = (n: number) =>
  `<p>Post ${n}: the pump on our second floor has rattled since the update, and the installer says the valve needs replacing before winter comes.</p>`;
const thread = Array.from({ length: 6 }, (_, i) => `<div class="post">${paragraph(i + 1)}</div>`).join('');

/** A forum that serves the thread inside <noscript> and an empty app shell outside it. */
const NOSCRIPT_SHELL = `<!doctype html><html lang="en"><head><title>Pump rattles after update - Heating - Example Forum</title></head>
<body><section id="splash"><div class="dots"></div></section><div id="app"></div>
<noscript><header><a href="/">Example Forum</a></header><div id="main-outlet"><h1>Pump rattles after update</h1>${thread}</div></noscript></body></html>`;

/** Content streamed hidden, revealed by a script (React's `<div hidden id="S:0">`). */
const HIDDEN_SHELL = `<!doctype html><html lang="en"><head><title>Pump rattles after update</title></head>
<body><div hidden id="S:0"><main><h1>Pump rattles after update</h1>${thread}</main></div><script>/* $RC("B:0","S:0") */</script></body></html>`;

/** An ordinary page: its hidden menu and no-script notice stay out. */
const NORMAL = `<!doctype html><html lang="en"><head><title>Pump rattles after update</title></head>
<body><nav hidden><a href="/a">Menu item one</a> <a href="/b">Menu item two</a></nav>
<noscript><p>Please enable JavaScript to comment.</p></noscript><main><h1>Pump rattles after update</h1>${thread}</main></body></html>`;

describe('revealScriptShell', () => {
  for (const engine of ENGINES) {
    it(`unwraps a thread served inside <noscript> (${engine})`, () => {
      const { document } = parsePage(NOSCRIPT_SHELL, { engine });
      expect(revealScriptShell(document)).toEqual({ noscript: 1, hidden: 0 });
      expect(document.querySelector('noscript')).toBeNull();
      expect(document.querySelectorAll('#main-outlet .post')).toHaveLength(6);
    });

    it(`unhides content streamed hidden (${engine})`, () => {
      const { document } = parsePage(HIDDEN_SHELL, { engine });
      expect(revealScriptShell(document)).toEqual({ noscript: 0, hidden: 1 });
      expect(document.querySelector('[hidden]')).toBeNull();
    });

    it(`leaves an ordinary page's hidden menu and no-script notice alone (${engine})`, () => {
      const { document } = parsePage(NORMAL, { engine });
      expect(revealScriptShell(document)).toEqual({ noscript: 0, hidden: 0 });
      expect(document.querySelector('nav')?.hasAttribute('hidden')).toBe(true);
      expect(document.querySelector('noscript')).not.toBeNull();
    });
  }

  it('moderate returns the thread of a no-script shell and of a hidden shell', () => {
    const model = loadModel();
    for (const html of [NOSCRIPT_SHELL, HIDDEN_SHELL]) {
      const article = moderate(html, { model });
      expect(article.text).toContain('the installer says the valve needs replacing');
    }
  });
});
