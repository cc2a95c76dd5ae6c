import DOMPurify from './purify.js';

/**
 * Rendering the article's HTML, the one place server data becomes markup. The server already
 * serialised it through an allow-list; it is sanitised again here, into a DOM fragment (never a
 * string that is parsed a second time, which is where mutation XSS lives), with:
 * - HTML only: no SVG or MathML namespaces;
 * - no styles, forms, frames, embeds or media: images and video would fetch from the scraped
 *   site (and tell it who is reviewing), and the CSP blocks them anyway;
 * - links to http(s) and mailto only, opened in a new tab without referrer or opener.
 */
const FORBID_TAGS = [
  'style', 'link', 'meta', 'base',
  'form', 'input', 'button', 'textarea', 'select', 'option', 'label', 'fieldset',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'portal',
  'svg', 'math',
  'img', 'picture', 'source', 'video', 'audio', 'track', 'canvas',
];
const FORBID_ATTR = ['style', 'srcset', 'action', 'formaction', 'background', 'ping', 'poster', 'src', 'xlink:href'];
const SAFE_URL = /^(?:https?:|mailto:)/i;

let hooked = false;

/** The article HTML as a sanitised fragment, ready to append. */
export function sanitizedArticle(html: string): DocumentFragment {
  if (!DOMPurify.isSupported) throw new Error('this browser cannot sanitise HTML safely; the article HTML is not shown');
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node instanceof Element && node.tagName === 'A' && node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
    });
    hooked = true;
  }
  return DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    USE_PROFILES: { html: true },
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
  });
}
