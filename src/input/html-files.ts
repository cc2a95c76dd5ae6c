import { readdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

/** File extensions read as saved HTML pages. */
export const HTML_EXTENSIONS = new Set(['.html', '.htm', '.xhtml']);

/**
 * Absolute paths of the saved HTML pages in a folder, in name order, and in its subfolders too
 * when `recursive`.
 */
export function listHtmlFiles(dir: string, options: { recursive: boolean }): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && options.recursive) walk(path);
      else if (entry.isFile() && HTML_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path);
    }
  };
  walk(resolve(dir));
  return files;
}
