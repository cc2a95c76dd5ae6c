import { parseHTML } from 'linkedom';
import { html, type Token, type TreeAdapter, type TreeAdapterTypeMap } from 'parse5';

/** linkedom nodes under the standard DOM types, as parse5 sees them. */
export type LinkedomTreeMap = TreeAdapterTypeMap<
  Node,
  ParentNode & Node,
  ChildNode,
  Document,
  DocumentFragment,
  Element,
  Comment,
  Text,
  Element,
  DocumentType
>;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const COMMENT_NODE = 8;
const DOCUMENT_TYPE_NODE = 10;

/**
 * A parse5 tree adapter that builds linkedom nodes through linkedom's own DOM methods, so the
 * tree is the one the HTML standard builds (the one jsdom and browsers build) while the nodes
 * stay linkedom's light ones. One adapter builds one document.
 */
export function linkedomTreeAdapter(): TreeAdapter<LinkedomTreeMap> {
  // An empty linkedom document: no html, head or body until the tree builder makes them.
  const document = parseHTML('').document as unknown as Document;
  let mode: html.DOCUMENT_MODE = html.DOCUMENT_MODE.NO_QUIRKS;
  const templateContents = new WeakMap<Element, DocumentFragment>();

  const setAttributes = (element: Element, attrs: Token.Attribute[]): void => {
    // linkedom puts each new attribute first: set them last to first to keep the page's order.
    for (let i = attrs.length - 1; i >= 0; i--) {
      const attr = attrs[i];
      // Foreign attributes keep their prefix (`xlink:href`), as the tree builder names them.
      element.setAttribute(attr.prefix ? `${attr.prefix}:${attr.name}` : attr.name, attr.value);
    }
  };

  return {
    createDocument: () => document,
    createDocumentFragment: () => document.createDocumentFragment(),
    createElement(tagName, namespaceURI, attrs) {
      const element = namespaceURI === html.NS.HTML ? document.createElement(tagName) : document.createElementNS(namespaceURI, tagName);
      setAttributes(element, attrs);
      return element;
    },
    createCommentNode: (data) => document.createComment(data),
    createTextNode: (value) => document.createTextNode(value),
    appendChild: (parent, node) => void parent.appendChild(node),
    insertBefore: (parent, node, reference) => void parent.insertBefore(node, reference),
    setTemplateContent: (template, content) => void templateContents.set(template, content),
    getTemplateContent: (template) => templateContents.get(template) ?? document.createDocumentFragment(),
    setDocumentType(doc, name, publicId, systemId) {
      // linkedom takes the doctype as the text after `<!DOCTYPE`.
      const ids = publicId ? ` PUBLIC "${publicId}"${systemId ? ` "${systemId}"` : ''}` : systemId ? ` SYSTEM "${systemId}"` : '';
      (doc as unknown as { doctype: string }).doctype = `${name || 'html'}${ids}`;
    },
    setDocumentMode: (_doc, value) => void (mode = value),
    getDocumentMode: () => mode,
    detachNode: (node) => void node.parentNode?.removeChild(node),
    insertText(parent, text) {
      const last = parent.lastChild;
      if (last !== null && last.nodeType === TEXT_NODE) (last as Text).data += text;
      else parent.appendChild(document.createTextNode(text));
    },
    insertTextBefore(parent, text, reference) {
      const previous = reference.previousSibling;
      if (previous !== null && previous.nodeType === TEXT_NODE) (previous as Text).data += text;
      else parent.insertBefore(document.createTextNode(text), reference);
    },
    adoptAttributes(recipient, attrs) {
      for (const attr of attrs) if (!recipient.hasAttribute(attr.name)) recipient.setAttribute(attr.name, attr.value);
    },
    getFirstChild: (node) => node.firstChild,
    getChildNodes: (node) => Array.from(node.childNodes),
    getParentNode: (node) => node.parentNode as (ParentNode & Node) | null,
    getAttrList: (element) => Array.from(element.attributes, (attr) => ({ name: attr.name, value: attr.value })),
    getTagName: (element) => element.localName,
    getNamespaceURI: (element) => element.namespaceURI as html.NS,
    getTextNodeContent: (node) => node.data,
    getCommentNodeContent: (node) => node.data,
    getDocumentTypeNodeName: (node) => node.name,
    getDocumentTypeNodePublicId: (node) => node.publicId,
    getDocumentTypeNodeSystemId: (node) => node.systemId,
    isTextNode: (node): node is Text => node.nodeType === TEXT_NODE,
    isCommentNode: (node): node is Comment => node.nodeType === COMMENT_NODE,
    isDocumentTypeNode: (node): node is DocumentType => node.nodeType === DOCUMENT_TYPE_NODE,
    isElementNode: (node): node is Element => node.nodeType === ELEMENT_NODE,
    // Source locations are off (sourceCodeLocationInfo: false); nothing to keep.
    setNodeSourceCodeLocation: () => undefined,
    getNodeSourceCodeLocation: () => undefined,
    updateNodeSourceCodeLocation: () => undefined,
  };
}
