import { ELEMENT_NODE, tagOf } from './nodes.js';
import { isHidden } from '../segment/visibility.js';

/**
 * Below this share of the body's words outside `<noscript>` and hidden elements, the page is a
 * shell that scripts fill in: what a reader sees is in the hidden or no-script part.
 */
const SHELL_VISIBLE_SHARE = 0.2;
/** Fewer words than this in the hidden and no-script parts: nothing worth revealing. */
const SHELL_MIN_WORDS = 50;
/** A hidden element is revealed when it holds at least this share of all hidden words. */
const REVEAL_SHARE = 0.2;

/** What revealScriptShell did, for tests and diagnostics. */
export interface ShellReveal {
  /** `<noscript>` elements unwrapped. */
  noscript: number;
  /** Hidden elements made visible. */
  hidden: number;
}

/**
 * winnow runs no script, so it must read a page as a browser with scripting off shows it, and
 * as a browser with scripting on ends up showing it. Two common shells break that:
 * - forum software that serves the whole thread inside `<noscript>` and an empty app shell
 *   outside it (a browser without scripts shows the thread);
 * - pages whose content arrives hidden and is revealed by a script: React's streamed
 *   `<div hidden id="S:0">`, an anti-flicker `visibility:hidden` wrapper around the body.
 * On such a page (little visible text, much hidden or no-script text) the no-script parts are
 * unwrapped and the large hidden parts unhidden, in place, so segmentation and Readability read
 * the same tree. A normal page, whose hidden menus and no-script notices are small beside its
 * text, is left as it is.
 */
export function revealScriptShell(document: Document): ShellReveal {
  const body = document.body;
  const done: ShellReveal = { noscript: 0, hidden: 0 };
  if (!body) return done;
  const noscripts: Element[] = [];
  const hidden: { element: Element; words: number }[] = [];
  collect(body, noscripts, hidden);
  const noscriptWords = noscripts.reduce((sum, element) => sum + wordsIn(element), 0);
  const hiddenWords = hidden.reduce((sum, entry) => sum + (entry.words = wordsIn(entry.element)), 0);
  const hiddenPart = noscriptWords + hiddenWords;
  if (hiddenPart < SHELL_MIN_WORDS) return done;
  const visible = wordsIn(body) - hiddenPart;
  if (visible >= SHELL_VISIBLE_SHARE * (visible + hiddenPart)) return done;

  for (const element of noscripts) {
    element.replaceWith(...Array.from(element.childNodes));
    done.noscript++;
  }
  for (const { element, words } of hidden) {
    if (words < REVEAL_SHARE * hiddenWords) continue;
    unhide(element);
    done.hidden++;
  }
  return done;
}

/** Outermost `<noscript>` and hidden elements under `root` (nothing inside them is visited). */
function collect(root: Element, noscripts: Element[], hidden: { element: Element; words: number }[]): void {
  for (let child = root.firstElementChild; child; child = child.nextElementSibling) {
    if (child.nodeType !== ELEMENT_NODE) continue;
    const tag = tagOf(child);
    if (tag === 'noscript') noscripts.push(child);
    else if (tag === 'script' || tag === 'style' || tag === 'template') continue;
    else if (isHidden(child)) hidden.push({ element: child, words: 0 });
    else collect(child, noscripts, hidden);
  }
}

function unhide(element: Element): void {
  element.removeAttribute('hidden');
  if (element.getAttribute('aria-hidden') === 'true') element.removeAttribute('aria-hidden');
  const style = element.getAttribute('style');
  if (style !== null) element.setAttribute('style', style.replace(/(display\s*:\s*none|visibility\s*:\s*hidden)\s*;?/gi, ''));
}

function wordsIn(element: Element): number {
  const text = element.textContent ?? '';
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}
