import { describe, expect, it } from 'vitest';

import { corpusInfo, labelCorpusPage, loadWcxb, wcxbDir } from '../../src/corpus/wcxb.js';

const dir = wcxbDir();

describe.skipIf(dir === null)('WCXB split beside the repository', () => {
  it('reads pages with their ground truth and page type, and aligns them', () => {
    const info = corpusInfo(dir!);
    expect(info.version).not.toBe('unknown');
    const pages = loadWcxb(dir!, { limit: 3 });
    expect(pages).toHaveLength(3);
    for (const page of pages) {
      expect(page.truth.length).toBeGreaterThan(0);
      expect(page.pageType).not.toBe('unknown');
      const labeled = labelCorpusPage(page, { info });
      expect(labeled.gold).toHaveLength(labeled.analysis.blocks.length);
      expect(labeled.gold).toContain('editorial');
      expect(labeled.meta.provenance?.version).toBe(info.version);
    }
  });
});
