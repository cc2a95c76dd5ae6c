import { describe, expect, it } from 'vitest';
import { TEXT_WORD_BUDGET } from '../../src/features/constants.js';
import { analyzePage } from '../../src/pipeline.js';

const prose = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => `${seed}${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26) % 26)}`).join(' ');

const page = `<!DOCTYPE html><html lang="en"><head><title>Harbour dredging starts next month after years of delay - The Gazette</title></head><body>
<article>
  <h1>Harbour dredging starts next month after years of delay</h1>
  <p>The council confirmed on Tuesday that dredging of the inner harbour will begin in March, ending a delay that has lasted six years and cost the fishing fleet dearly.</p>
  <figure><img src="/harbour.jpg" alt=""><figcaption>Fishing boats tied up two deep along the quay at low tide, where the silt now stands a metre above the old channel floor.</figcaption></figure>
  <p>${prose(150, 'w')}.</p>
  <p>Work will take eleven weeks, the council said, and the quay will stay open throughout.</p>
</article></body></html>`;

describe('block features', () => {
  const analysis = analyzePage(page, { url: 'https://gazette.example/harbour' });
  const featuresOf = (start: string) => {
    const i = analysis.blocks.findIndex((block) => block.text.startsWith(start));
    expect(i).toBeGreaterThanOrEqual(0);
    return analysis.features[i];
  };
  const tokens = (start: string) => [...featuresOf(start).keys()];

  it("gives Readability's verdict on a caption its own token, and marks the place after an image", () => {
    const caption = tokens('Fishing boats');
    expect(caption.some((token) => /^rd=\w+\.caption$/.test(token))).toBe(true);
    expect(caption).toContain('after_img.long');
    expect(tokens('The council confirmed').some((token) => token.endsWith('.caption'))).toBe(false);
  });

  it("reads the article's headline as `hd=headline`, not as section words", () => {
    const paragraph = tokens('Work will take');
    expect(paragraph).toContain('hd=headline');
    expect(paragraph.some((token) => token === 'hd=harbour' || token === 'hd=dredg')).toBe(false);
  });

  it('lets the words of a long block share a fixed budget, and a short block keep full weight', () => {
    const sum = (start: string) => [...featuresOf(start)].filter(([token]) => token.startsWith('w=')).reduce((total, [, weight]) => total + weight, 0);
    expect(sum('wa')).toBeCloseTo(TEXT_WORD_BUDGET, 6);
    const short = [...featuresOf('Work will take')].filter(([token]) => token.startsWith('w='));
    expect(short.length).toBeGreaterThan(3);
    expect(short.every(([, weight]) => Number.isInteger(weight))).toBe(true);
  });
});

describe('links under a chrome lead line', () => {
  const page = `<!DOCTYPE html><html lang="en"><head><title>Quay repairs finish early</title></head><body><article>
  <h1>Quay repairs finish early</h1>
  <p>Repairs to the north quay finished two weeks ahead of schedule, the harbour board said on Friday, and the first boats tied up there this morning.</p>
  <p>You may also like…</p>
  <p><a href="/a">Harbour dredging starts next month after years of delay</a></p>
  <p><a href="/b">Fishing fleet counts the cost of a wet winter</a></p>
  <ul><li><a href="/c">Ferry timetable changes for the spring</a></li></ul>
  <p>The board thanked the crews, <a href="/d">whose work</a> ran through the storms of January and February without a lost day.</p>
  <p>Read more: the board's <a href="/e">annual report</a> is out on Monday.</p>
  <p><a href="/f">Quay repairs: the full timeline</a></p>
  <p>Sign up for the board's free berth alerts:</p>
  <ul><li><a href="/g">North quay berth alerts</a></li><li><a href="/h">Tide and weather warnings</a></li></ul>
</article></body></html>`;
  const analysis = analyzePage(page, { url: 'https://gazette.example/quay' });
  const inRun = (start: string) => {
    const i = analysis.blocks.findIndex((block) => block.text.startsWith(start));
    expect(i).toBeGreaterThanOrEqual(0);
    return analysis.features[i].has('lead_run=boilerplate');
  };

  it('marks each all-link line after the lead line, across containers, and stops at the first line of prose', () => {
    expect(inRun('You may also like')).toBe(false);
    expect(inRun('Harbour dredging')).toBe(true);
    expect(inRun('Fishing fleet')).toBe(true);
    expect(inRun('Ferry timetable')).toBe(true);
    expect(inRun('The board thanked')).toBe(false);
  });

  it('marks an all-link line right after a lead line that is itself prose with a link', () => {
    expect(inRun('Quay repairs: the full timeline')).toBe(true);
    expect(inRun('Repairs to the north quay')).toBe(false);
  });

  it("starts no run under a call to act: a how-to's own links follow one", () => {
    expect(inRun('North quay berth alerts')).toBe(false);
    expect(inRun('Tide and weather warnings')).toBe(false);
  });
});

