/**
 * Allow-list serializer: turns DOM nodes into HTML that can only contain the tags and attributes
 * listed here, with every text and attribute value escaped. Because it writes output from an
 * allow-list instead of cleaning input, nothing outside the list can get through, whatever the
 * page contains. Hand-written on purpose: it serializes each block straight from the parsed DOM;
 * a string sanitizer would parse every block's HTML a second time (see README, "Sanitizing").
 */

import { ELEMENT_NODE, TEXT_NODE, tagOf } from '../dom/nodes.js';
import { isHidden } from './visibility.js';

/** Tags written as themselves. Anything else is unwrapped (its children kept) or dropped. */
const KEPT_TAGS = new Set([
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'blockquote', 'pre', 'code',
  'em', 'strong', 'b', 'i', 'u', 's', 'sub', 'sup', 'small', 'mark', 'q', 'cite', 'abbr', 'br', 'hr', 'a',
  'img', 'figure', 'figcaption', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'time',
  'del', 'ins', 'kbd', 'samp', 'var',
]);

/** Tags dropped with everything inside them. */
const DROPPED_TAGS = new Set([
  'script', 'style', 'noscript', 'template', 'iframe', 'frame', 'object', 'embed', 'svg', 'math', 'canvas',
  'video', 'audio', 'select', 'option', 'textarea', 'input', 'form', 'head', 'title', 'meta', 'link', 'base',
  'dialog', 'map', 'area',
]);

const VOID_TAGS = new Set(['br', 'hr', 'img']);

/** Attributes kept per tag; URL attributes are checked separately. */
const KEPT_ATTRIBUTES: Record<string, readonly string[]> = {
  a: ['href'],
  img: ['src', 'alt'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan', 'scope'],
  ol: ['start'],
  time: ['datetime'],
  abbr: ['title'],
};

const URL_ATTRIBUTES = new Set(['href', 'src']);
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

const TEXT_SPECIALS = /[&<>]/;
const ATTRIBUTE_SPECIALS = /[&"<>]/;

export function escapeText(text: string): string {
  if (!TEXT_SPECIALS.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIALS.test(value)) return value;
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A link or image URL made absolute against the page URL, or null unless it is http(s)/mailto.
 * `javascript:`, `data:` and every other scheme are refused.
 */
export function safeUrl(value: string, baseUrl: string | undefined): string | null {
  const trimmed = value.trim();
  if (!trimmed) return null;
  try {
    const url = baseUrl ? new URL(trimmed, baseUrl) : new URL(trimmed);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    // Relative URL without a base: keep it only if it cannot carry a scheme.
    return /^[a-z][a-z0-9+.-]*:/i.test(trimmed) || trimmed.startsWith('//') ? null : trimmed;
  }
}

/** Serialize nodes through the allow-list. */
export function sanitizeNodes(nodes: Iterable<Node>, baseUrl?: string): string {
  const out: string[] = [];
  for (const node of nodes) writeNode(node, out, baseUrl);
  return out.join('');
}

function writeNode(node: Node, out: string[], baseUrl: string | undefined): void {
  if (node.nodeType === TEXT_NODE) {
    out.push(escapeText((node as Text).data));
    return;
  }
  if (node.nodeType !== ELEMENT_NODE) return;
  const element = node as Element;
  const tag = tagOf(element);
  if (DROPPED_TAGS.has(tag) || isHidden(element)) return;
  if (!KEPT_TAGS.has(tag)) {
    for (let child = element.firstChild; child !== null; child = child.nextSibling) writeNode(child, out, baseUrl);
    return;
  }
  if (tag === 'img' && !element.getAttribute('src')) return;
  out.push('<', tag, attributesOf(element, tag, baseUrl), '>');
  if (VOID_TAGS.has(tag)) return;
  for (let child = element.firstChild; child !== null; child = child.nextSibling) writeNode(child, out, baseUrl);
  out.push('</', tag, '>');
}

function attributesOf(element: Element, tag: string, baseUrl: string | undefined): string {
  const allowed = KEPT_ATTRIBUTES[tag];
  if (!allowed) return '';
  let written = '';
  for (const name of allowed) {
    const raw = element.getAttribute(name);
    if (raw === null) continue;
    const value = URL_ATTRIBUTES.has(name) ? safeUrl(raw, baseUrl) : raw;
    if (value === null) continue;
    written += ` ${name}="${escapeAttribute(value)}"`;
  }
  return written;
}
