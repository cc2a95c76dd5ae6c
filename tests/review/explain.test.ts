import { describe, expect, it } from 'vitest';
import { explainBlock, featureToken } from '../../src/review/explain.js';

describe('explainBlock', () => {
  it('says in words what the raw feature tokens say', () => {
    const why = explainBlock({
      topFeatures: ['c_gp=promo (+2.9)', 'rd=kept.mid (+10.7)', 'listing=3 (+1.2)', 'price (+0.8)', 'in=aside (+0.5)'],
      listingSize: 17,
      readability: 1,
    });
    expect(why).toEqual([
      'the section around it looks like promotion',
      'Readability kept it',
      'inside a list of 17 similar items',
      'it shows a price',
      'inside a sidebar',
    ]);
  });

  it('quotes the label above a block when a heading cue drove the label', () => {
    const why = explainBlock({ topFeatures: ['hcue=promo (+3.1)'], listingSize: 1, readability: 0 }, ['Rents rose again this spring.', 'Anzeige']);
    expect(why).toEqual(['label “Anzeige” above it']);
  });

  it('gathers word tokens into one sentence and leaves unknown families to the raw list', () => {
    const why = explainBlock({ topFeatures: ['w=deal (+1.0)', 'w=lamp (+0.6)', 'zz_new=1 (+0.4)'], listingSize: 1, readability: 0 });
    expect(why).toEqual(['words in it like “deal”, “lamp”']);
    expect(featureToken('rd=kept.mid (+10.7)')).toBe('rd=kept.mid');
  });
});
