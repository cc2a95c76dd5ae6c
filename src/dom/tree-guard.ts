import { html, type Token, type TreeAdapter, type TreeAdapterTypeMap } from 'parse5';
import { PageTooDeepError, PageTooLargeError } from '../errors.js';
import type { PageLimits } from '../input/prepare.js';

/**
 * Wrap a parse5 tree adapter so that the tree the HTML standard's tree builder makes is the one
 * the limits are checked on, and scripts, styles, templates and inline SVG never reach it.
 *
 * - **Depth** is counted as nodes are attached: an element is one deeper than the node it is
 *   attached to (`<html>` is 1). Stray end tags, tags in comments, attribute values or
 *   `<textarea>` never build elements, so they cannot move the count. When the adoption agency
 *   moves a subtree, its elements are counted again at their new depth; the limit holds on the
 *   deepest the tree gets while it is built, which a moved-up subtree can leave 1-5 levels above
 *   the final tree's depth (300 random misnested pages, tests/unit/parse-limits.test.ts).
 *   Elements inside a cut element count too: the parser still holds them on its stack, and its
 *   scope checks walk it. The parse stops with PageTooDeepError at the first element past
 *   `maxDepth`.
 * - **Elements** are counted as they are created, cut ones included, and the parse stops with
 *   PageTooLargeError past `maxElements`. Content skipped before the tokenizer reads it
 *   (src/dom/guarded-parse.ts) creates no element and counts for neither limit.
 * - **Cut elements** (`script` other than JSON-LD, `style`, `template`, `svg`) are created, as the
 *   tree builder needs them on its stack, but never attached, and no text is stored inside them.
 *   JSON-LD scripts stay: Readability reads the byline and dates from them.
 */
export function guardTreeAdapter<T extends TreeAdapterTypeMap>(base: TreeAdapter<T>, limits: PageLimits): TreeAdapter<T> {
  type Node = T['node'];
  /** Depth of each element (and template content) in the tree the parser has built so far. */
  const depths = new WeakMap<object, number>();
  /** Cut elements and everything attached below them. */
  const hidden = new WeakSet<object>();
  /** The cut elements themselves: never attached to a parent. */
  const cutRoots = new WeakSet<object>();
  /** Template contents and their template: content is set before the template is attached. */
  const templates = new WeakMap<object, object>();
  let elements = 0;

  const depthOf = (parent: Node): number | undefined => {
    const owner = templates.get(parent as object);
    return depths.get(owner ?? (parent as object));
  };
  const isHidden = (parent: Node): boolean => {
    const owner = templates.get(parent as object);
    return hidden.has(owner ?? (parent as object));
  };

  const checkDepth = (depth: number): void => {
    if (depth > limits.maxDepth) throw new PageTooDeepError(`elements nest deeper than ${limits.maxDepth}`);
  };

  /** Record the depth (and hiddenness) of `node` attached under `parent`, and of its subtree when it moved with one. */
  const placed = (parent: Node, node: Node): void => {
    if (!base.isElementNode(node)) return;
    const parentDepth = depthOf(parent);
    // A parent not yet placed is a clone the adoption agency fills before attaching it: counted then.
    if (parentDepth === undefined) return;
    const depth = parentDepth + 1;
    checkDepth(depth);
    depths.set(node as object, depth);
    const hide = isHidden(parent) || cutRoots.has(node as object);
    if (hide) hidden.add(node as object);
    else hidden.delete(node as object);
    if (base.getFirstChild(node as T['parentNode'])) recount(node, depth, hide);
  };

  /**
   * A cut element is never attached; comments inside one are dropped. Elements inside one are
   * attached to it (the tree builder may ask for their parent), and go when it goes.
   */
  const isLeftOut = (parent: Node, node: Node): boolean =>
    cutRoots.has(node as object) || (isHidden(parent) && !base.isElementNode(node));

  /** Depths below a moved element, without recursion (the subtree may be as deep as the limit). */
  const recount = (root: Node, rootDepth: number, hide: boolean): void => {
    const stack: [Node, number][] = [[root, rootDepth]];
    for (let item = stack.pop(); item; item = stack.pop()) {
      const [node, depth] = item;
      for (const child of base.getChildNodes(node as T['parentNode'])) {
        if (!base.isElementNode(child)) continue;
        checkDepth(depth + 1);
        depths.set(child as object, depth + 1);
        if (hide || cutRoots.has(child as object)) hidden.add(child as object);
        else hidden.delete(child as object);
        stack.push([child, depth + 1]);
      }
    }
  };

  return {
    ...base,
    createDocument() {
      const document = base.createDocument();
      depths.set(document as object, 0);
      return document;
    },
    createElement(tagName: string, namespaceURI: html.NS, attrs: Token.Attribute[]) {
      if (++elements > limits.maxElements) throw new PageTooLargeError(`page has more than ${limits.maxElements} elements`);
      const element = base.createElement(tagName, namespaceURI, attrs);
      if (isCutElement(tagName, namespaceURI, attrs)) {
        cutRoots.add(element as object);
        hidden.add(element as object);
      }
      return element;
    },
    setTemplateContent(template, content) {
      base.setTemplateContent(template, content);
      templates.set(content as object, template as object);
    },
    appendChild(parent, node) {
      placed(parent, node);
      if (!isLeftOut(parent, node)) base.appendChild(parent, node);
    },
    insertBefore(parent, node, reference) {
      placed(parent, node);
      if (!isLeftOut(parent, node)) base.insertBefore(parent, node, reference);
    },
    insertText(parent, text) {
      if (!isHidden(parent)) base.insertText(parent, text);
    },
    insertTextBefore(parent, text, reference) {
      if (!isHidden(parent)) base.insertTextBefore(parent, text, reference);
    },
  };
}

/** Whether the element is left out of the tree (see {@link guardTreeAdapter}). */
export function isCutElement(tagName: string, namespaceURI: html.NS, attrs: Token.Attribute[]): boolean {
  if (namespaceURI === html.NS.SVG) return tagName === 'svg';
  if (namespaceURI !== html.NS.HTML) return false;
  if (tagName === 'style' || tagName === 'template') return true;
  return tagName === 'script' && !isJsonLd(attrs);
}

function isJsonLd(attrs: Token.Attribute[]): boolean {
  const type = attrs.find((attr) => attr.name === 'type');
  return type !== undefined && /^\s*application\/ld\+json/i.test(type.value);
}
