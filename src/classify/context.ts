import type { Block } from '../segment/block.js';
import type { FeatureBag } from '../features/index.js';
import { CONTEXT_WEIGHT } from '../features/constants.js';
import { argmax } from '../text/normalize.js';

/**
 * Context tokens for the second pass: what a first-pass classifier said about a block's
 * neighbours and about the other blocks of its container. Labels cluster (a sidebar, a rail, a
 * footer are runs of one label), and the second pass learns how much that should count.
 */
export function contextFeatures(blocks: Block[], firstPass: number[][], labels: readonly string[]): FeatureBag[] {
  const best = firstPass.map(argmax);
  const parentKeys = blocks.map((block) => containerOf(block.path, 1));
  const grandparentKeys = blocks.map((block) => containerOf(block.path, 2));
  const parents = groupBy(parentKeys);
  const grandparents = groupBy(grandparentKeys);
  return blocks.map((_, i) => {
    const bag: FeatureBag = new Map();
    const add = (token: string) => bag.set(token, (bag.get(token) ?? 0) + CONTEXT_WEIGHT);
    // The first and last blocks get no neighbour token: "edge" is rare and would weigh too much.
    if (i > 0) add(`c_prev=${labels[best[i - 1]]}`);
    if (i < blocks.length - 1) add(`c_next=${labels[best[i + 1]]}`);
    add(`c_par=${majority(parents.get(parentKeys[i]) ?? [], i, firstPass, labels)}`);
    add(`c_gp=${majority(grandparents.get(grandparentKeys[i]) ?? [], i, firstPass, labels)}`);
    return bag;
  });
}

/** Label with the largest summed first-pass posterior among the other members, or `alone`. */
function majority(members: number[], self: number, firstPass: number[][], labels: readonly string[]): string {
  const sums = new Array<number>(labels.length).fill(0);
  let others = 0;
  for (const member of members) {
    if (member === self) continue;
    others++;
    const posterior = firstPass[member];
    for (let c = 0; c < posterior.length; c++) sums[c] += posterior[c];
  }
  return others === 0 ? 'alone' : labels[argmax(sums)];
}

/** Path of the element `levels` up from the block (a run's container counts as one level). */
export function containerOf(path: string, levels: number): string {
  let current = path.includes('::run(') ? path.slice(0, path.indexOf('::run(')) : path;
  const start = path.includes('::run(') ? 1 : 0;
  for (let level = start; level < levels; level++) {
    const cut = current.lastIndexOf(' > ');
    if (cut === -1) return '';
    current = current.slice(0, cut);
  }
  return current;
}

/** Block indexes by key. */
function groupBy(keys: string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const members = groups.get(key);
    if (members) members.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}

/** Merge two bags (the second's counts added to the first's) into a new bag. */
export function mergeBags(a: FeatureBag, b: FeatureBag): FeatureBag {
  const merged = new Map(a);
  for (const [token, weight] of b) merged.set(token, (merged.get(token) ?? 0) + weight);
  return merged;
}
