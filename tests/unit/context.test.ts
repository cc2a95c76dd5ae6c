import { describe, expect, it } from 'vitest';
import { contextFeatures } from '../../src/classify/context.js';
import type { Block } from '../../src/segment/block.js';

const LABELS = ['editorial', 'promo', 'boilerplate'] as const;
const block = (path: string) => ({ path }) as Block;
const E = [0.9, 0.05, 0.05];
const P = [0.1, 0.8, 0.1];
const B = [0.2, 0.1, 0.7];

describe('contextFeatures', () => {
  it("reads each block's container from the other members only, and `alone` for a block with none", () => {
    const blocks = [
      block('body > main > article > p:nth-of-type(1)'),
      block('body > main > article > p:nth-of-type(2)'),
      block('body > main > article > p:nth-of-type(3)'),
      block('body > main > aside > p:nth-of-type(1)'),
    ];
    const bags = contextFeatures(blocks, [P, E, E, B], LABELS);
    const tokens = bags.map((bag) => [...bag.keys()]);
    expect(tokens[0]).toEqual(['c_next=editorial', 'c_par=editorial', 'c_gp=editorial']);
    // The promo block is its own container's minority: the others outvote it, it does not vote for itself.
    expect(tokens[1]).toContain('c_par=editorial');
    expect(tokens[3]).toContain('c_par=alone');
    // Grandparent `body > main` holds all four; the aside's block sees the three article blocks.
    expect(tokens[3]).toContain('c_gp=editorial');
    expect(tokens[3]).toContain('c_prev=editorial');
  });

  it('sums posteriors, not votes: two unsure members lose to one sure one', () => {
    const blocks = [0, 1, 2, 3].map((i) => block(`body > div > p:nth-of-type(${i + 1})`));
    const unsurePromo = [0.34, 0.36, 0.3];
    const bags = contextFeatures(blocks, [E, unsurePromo, unsurePromo, [0.98, 0.01, 0.01]], LABELS);
    expect(bags[1].has('c_par=editorial')).toBe(true);
  });

  it('gives every block of a 20,000-block container the container majority', () => {
    const blocks = Array.from({ length: 20_000 }, (_, i) => block(`body > div > p:nth-of-type(${i + 1})`));
    const posteriors = blocks.map((_, i) => (i % 3 === 0 ? B : E));
    const bags = contextFeatures(blocks, posteriors, LABELS);
    expect(bags.every((bag) => bag.has('c_par=editorial'))).toBe(true);
  });
});
