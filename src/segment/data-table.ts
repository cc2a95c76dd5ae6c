import { ELEMENT_NODE, tagOf } from '../dom/nodes.js';
import { INLINE_TAGS, SKIPPED_TAGS, TABLE_PART_TAGS } from './tags.js';
import { hasMoreWordsThan } from './word-count.js';

/** A table is kept whole only while its cells stay short: longer cells mean a layout table. */
const MAX_DATA_TABLE_CELL_WORDS = 80;

/**
 * A table of short inline cells (data), as opposed to a table used for page layout: no table
 * inside it, a row of at least two cells, and cells holding only inline elements, table parts
 * and paragraphs, with at most MAX_DATA_TABLE_CELL_WORDS words each. One walk over the table,
 * and cell words are counted only until the limit is passed.
 */
export function isDataTable(table: Element): boolean {
  const shape = tableShape(table);
  if (shape === null) return false;
  // One column is a stack of boxes (old layouts, text-ad columns), not data.
  if (shape.widestRow < 2) return false;
  for (const cell of shape.cells) {
    if (!holdsOnlyCellContent(cell)) return false;
    if (hasMoreWordsThan(cell, MAX_DATA_TABLE_CELL_WORDS)) return false;
  }
  return true;
}

/**
 * The cells of a table (every `td`/`th` inside it, in document order) and its widest row (the
 * most cells inside one `tr`), or null when another table is nested inside it.
 */
function tableShape(table: Element): { cells: Element[]; widestRow: number } | null {
  const cells: Element[] = [];
  const rowWidths: number[] = [];
  const walk = (parent: Element, openRows: readonly number[]): boolean => {
    for (let child = parent.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType !== ELEMENT_NODE) continue;
      const element = child as Element;
      const tag = tagOf(element);
      if (tag === 'table') return false;
      if (tag === 'td' || tag === 'th') {
        cells.push(element);
        for (const row of openRows) rowWidths[row]++;
      }
      let rows = openRows;
      if (tag === 'tr') {
        rowWidths.push(0);
        rows = [...openRows, rowWidths.length - 1];
      }
      if (!walk(element, rows)) return false;
    }
    return true;
  };
  if (!walk(table, [])) return null;
  let widestRow = 0;
  for (const width of rowWidths) if (width > widestRow) widestRow = width;
  return { cells, widestRow };
}

/** True when every element inside the cell is inline, a table part, a paragraph or skipped. */
function holdsOnlyCellContent(cell: Element): boolean {
  for (let child = cell.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType !== ELEMENT_NODE) continue;
    const tag = tagOf(child as Element);
    if (!INLINE_TAGS.has(tag) && !TABLE_PART_TAGS.has(tag) && tag !== 'p' && !SKIPPED_TAGS.has(tag)) return false;
    if (!holdsOnlyCellContent(child as Element)) return false;
  }
  return true;
}
