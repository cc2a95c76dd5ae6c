import { parsePage } from '../dom/engine.js';
import { decodeHtml } from '../input/decode.js';
import { DEFAULT_LIMITS, preparePage } from '../input/prepare.js';
import type { StoredArticle } from '../storage/store.js';
import { resolvePath } from './export.js';

/** Attribute naming the block an element of the rendered page shows (its index in the article). */
export const BLOCK_ATTRIBUTE = 'data-winnow-block';

/**
 * Elements that could run code, fetch from the scraped site or navigate the frame: removed with
 * their content. The frame is sandboxed without scripts and inherits the review page's CSP as
 * well; this is the first of three walls.
 */
const REMOVED_TAGS = [
  'script', 'noscript', 'template', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal',
  'link', 'meta', 'base', 'style', 'svg', 'math', 'video', 'audio', 'source', 'track', 'picture', 'canvas',
  'form', 'input', 'button', 'select', 'textarea',
];
/** Attributes that fetch, navigate or style from outside (URLs are dropped rather than rewritten). */
const REMOVED_ATTRIBUTES = new Set(['src', 'srcset', 'srcdoc', 'href', 'action', 'formaction', 'background', 'poster', 'ping', 'style', 'data', 'xlink:href', 'manifest']);

/**
 * The stored page as a reviewer should see it: the raw bytes decoded and prepared as the
 * pipeline does, with every script, event handler, frame, form, stylesheet and URL removed (so
 * nothing runs and no request leaves the server), and each block's element marked with
 * {@link BLOCK_ATTRIBUTE}. Loose text of one container marks the container. Returns the
 * `<body>`'s inner HTML.
 */
export function renderStoredPage(raw: Uint8Array, contentType: string | null, article: StoredArticle): string {
  const { html } = decodeHtml(raw, contentType);
  const parsed = parsePage(preparePage(html, DEFAULT_LIMITS), { url: article.url ?? undefined, engine: article.engine });
  try {
    const document = parsed.document;
    // Mark blocks first: paths count elements as the segmenter saw them, before anything is removed.
    for (const block of article.blocks) {
      const path = block.path.replace(/::run\(\d+\)$/, '');
      const element = resolvePath(document, path);
      if (element && !element.hasAttribute(BLOCK_ATTRIBUTE)) element.setAttribute(BLOCK_ATTRIBUTE, String(block.index));
    }
    for (const tag of REMOVED_TAGS) for (const element of Array.from(document.querySelectorAll(tag))) element.remove();
    for (const element of Array.from(document.querySelectorAll('*'))) {
      for (const name of element.getAttributeNames()) {
        const lower = name.toLowerCase();
        if (lower.startsWith('on') || REMOVED_ATTRIBUTES.has(lower)) element.removeAttribute(name);
      }
    }
    return document.body?.innerHTML ?? '';
  } finally {
    parsed.dispose();
  }
}
