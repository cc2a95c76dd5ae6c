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
  const parents = groupSums(parentKeys, firstPass);
  const grandparents = groupSums(grandparentKeys, firstPass);
  return blocks.map((_, i) => {
    const bag: FeatureBag = new Map();
    const add = (token: string) => bag.set(token, (bag.get(token) ?? 0) + CONTEXT_WEIGHT);
    // The first and last blocks get no neighbour token: "edge" is rare and would weigh too much.
    if (i > 0) add(`c_prev=${labels[best[i - 1]]}`);
    if (i < blocks.length - 1) add(`c_next=${labels[best[i + 1]]}`);
    add(`c_par=${majority(parents.get(parentKeys[i])!, firstPass[i], labels)}`);
    add(`c_gp=${majority(grandparents.get(grandparentKeys[i])!, firstPass[i], labels)}`);
    return bag;
  });
}

/** A container's members: how many, and their first-pass posteriors summed per label. */
interface GroupSum {
  members: number;
  sums: number[];
}

/**
 * Per key, the members' count and summed posteriors: each block then reads its container's
 * majority as the sum less its own posterior, in time linear in the page (a container of
 * 10,000 blocks would otherwise cost 10,000² additions).
 */
function groupSums(keys: string[], firstPass: number[][]): Map<string, GroupSum> {
  const groups = new Map<string, GroupSum>();
  keys.forEach((key, i) => {
    const posterior = firstPass[i];
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { members: 0, sums: new Array<number>(posterior.length).fill(0) }));
    group.members++;
    for (let c = 0; c < posterior.length; c++) group.sums[c] += posterior[c];
  });
  return groups;
}

/** Label with the largest summed first-pass posterior among the other members, or `alone`. */
function majority(group: GroupSum, own: number[], labels: readonly string[]): string {
  if (group.members <= 1) return 'alone';
  return labels[argmax(group.sums.map((sum, c) => sum - own[c]))];
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

/** Merge two bags (the second's counts added to the first's) into a new bag. */
export function mergeBags(a: FeatureBag, b: FeatureBag): FeatureBag {
  const merged = new Map(a);
  for (const [token, weight] of b) merged.set(token, (merged.get(token) ?? 0) + weight);
  return merged;
}
