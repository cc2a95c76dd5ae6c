import { existsSync, statSync } from 'node:fs';
import { basename, extname, relative, resolve, sep } from 'node:path';
import { listHtmlFiles } from '../input/html-files.js';

/*
 * How the CLI finds the pages it is given: `winnow run` takes files, folders and URLs
 * ({@link expandInputs}); `winnow enqueue --dir` takes a folder ({@link htmlFilesIn}). Both read a
 * folder the same way: every saved HTML page in it and in its subfolders.
 */

/** One page to moderate: a local file or a URL. */
export interface Input {
  kind: 'file' | 'url';
  location: string;
  /** Output file stem. */
  name: string;
}

/**
 * Files, folders (their .html files, subfolders included) and http(s) URLs to a flat list of inputs.
 *
 * @throws Error naming an argument that is neither a URL nor an existing file or folder.
 */
export function expandInputs(args: string[]): Input[] {
  const inputs: Input[] = [];
  for (const arg of args) {
    if (/^https?:\/\//i.test(arg)) {
      inputs.push({ kind: 'url', location: arg, name: nameForUrl(arg) });
      continue;
    }
    const path = resolve(arg);
    if (!existsSync(path)) throw new Error(`no such file or folder: ${arg}`);
    if (statSync(path).isDirectory()) {
      inputs.push(...htmlFilesIn(path));
    } else {
      inputs.push({ kind: 'file', location: path, name: basename(path, extname(path)) });
    }
  }
  return inputs;
}

/**
 * Every .html file under a folder, subfolders included, in name order (absolute `location`s).
 * Output names are paths relative to the folder with `/` as `__`, so `site-a/page.html` and
 * `site-b/page.html` do not collide.
 */
export function htmlFilesIn(folder: string): Input[] {
  const root = resolve(folder);
  return listHtmlFiles(root, { recursive: true }).map((file) => {
    const relativePath = relative(root, file);
    return { kind: 'file', location: file, name: relativePath.slice(0, -extname(relativePath).length).split(sep).join('__') };
  });
}

function nameForUrl(url: string): string {
  return url.replace(/^https?:\/\//i, '').replace(/[^a-zA-Z0-9.-]+/g, '_').slice(0, 120);
}
