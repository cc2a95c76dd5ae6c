import { createRequire } from 'node:module';
import TurndownService from 'turndown';
import type { Wrapper } from '../segment/block.js';

const require = createRequire(import.meta.url);
// CommonJS plugin without types: adds GitHub-flavoured tables, strikethrough and task lists.
const { gfm } = require('@joplin/turndown-plugin-gfm') as { gfm: TurndownService.Plugin };

/** What assembly needs of a labeled block. */
export interface AssemblyBlock {
  text: string;
  html: string;
  wrappers: Wrapper[];
}

let turndown: TurndownService | null = null;

function markdownConverter(): TurndownService {
  if (!turndown) {
    turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
    turndown.use(gfm);
  }
  return turndown;
}

/** Editorial blocks' text in document order, one block per line. */
export function assembleText(blocks: AssemblyBlock[]): string {
  return blocks.map((block) => block.text).join('\n');
}

/**
 * Editorial blocks' sanitized HTML in document order, with the lists and quotes around them
 * rebuilt: consecutive items of one list share one `<ul>`, a list item's nested paragraphs
 * share their `<li>`. Block HTML is already allow-listed; the wrappers add only tag names.
 */
export function assembleHtml(blocks: AssemblyBlock[]): string {
  const out: string[] = [];
  const open: Wrapper[] = [];
  for (const block of blocks) {
    let shared = 0;
    while (shared < open.length && shared < block.wrappers.length && open[shared].path === block.wrappers[shared].path) shared++;
    while (open.length > shared) out.push(`</${open.pop()!.tag}>`);
    for (const wrapper of block.wrappers.slice(shared)) {
      out.push(`<${wrapper.tag}>`);
      open.push(wrapper);
    }
    out.push(block.html);
  }
  while (open.length > 0) out.push(`</${open.pop()!.tag}>`);
  return out.join('\n');
}

/** Markdown of the assembled article HTML (GitHub-flavoured: tables stay tables). */
export function htmlToMarkdown(html: string): string {
  return html ? markdownConverter().turndown(html) : '';
}
