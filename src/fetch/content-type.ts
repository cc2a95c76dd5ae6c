/** Media types fetchPage accepts: HTML, XHTML and XML. */
export const PAGE_TYPES: readonly string[] = ['text/html', 'application/xhtml+xml', 'text/xml', 'application/xml'];

/** The media type of a Content-Type header, lower-cased and without parameters; undefined when absent or blank. */
export function mediaType(contentType: string | undefined): string | undefined {
  const essence = contentType?.split(';')[0].trim().toLowerCase();
  return essence ? essence : undefined;
}

/**
 * True when the first bytes of an untyped body look like markup: after an optional byte-order
 * mark and whitespace, the first character is `<`.
 */
export function looksLikeMarkup(head: Uint8Array): boolean {
  let start = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3;
  else if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  for (let i = start; i < head.length; i++) {
    const byte = head[i];
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0c) continue;
    return byte === 0x3c;
  }
  return false;
}
