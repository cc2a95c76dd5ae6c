import type { Article, Label, LabeledBlock } from '../../src/types.js';

/** What to vary between test articles; everything else is a realistic news page. */
export interface ArticleOptions {
  url?: string | null;
  title?: string | null;
  model?: string;
  /** Labels to leave out entirely (e.g. a page with no promo). */
  without?: Label[];
  /** Appended to every block's text, so two articles of one page differ. */
  variant?: string;
  /** The article is a fallback region (Article.fallback). @defaultValue false */
  fallback?: boolean;
}

type BlockSeed = Pick<LabeledBlock, 'path' | 'tag' | 'text' | 'html'> & Partial<LabeledBlock>;

const EDITORIAL: BlockSeed[] = [
  {
    path: 'html > body > main > article > h1:nth-of-type(1)',
    tag: 'h1',
    text: 'Café owners in Zürich weigh a 4 % rent rise',
    html: '<h1>Café owners in Zürich weigh a 4 % rent rise</h1>',
  },
  {
    path: 'html > body > main > article > p:nth-of-type(1)',
    tag: 'p',
    text: 'Rents on the Bahnhofstrasse rose again this spring — the third rise in two years, landlords said.',
    html: '<p>Rents on the <em>Bahnhofstrasse</em> rose again this spring — the third rise in two years, landlords said.</p>',
  },
  {
    path: 'html > body > main > article > p:nth-of-type(2)',
    tag: 'p',
    text: '“We cannot pass it on,” said Jürgen Weiß, who has run his espresso bar since 1998. 日本語のメニューも人気です。',
    html: '<p>“We cannot pass it on,” said Jürgen Weiß, who has run his espresso bar since 1998. 日本語のメニューも人気です。</p>',
  },
  {
    path: 'html > body > main > article > table:nth-of-type(1)',
    tag: 'table',
    text: 'Year\tRent (CHF/m²)\n2023\t1 020\n2024\t1 061',
    html: '<table><tr><th>Year</th><th>Rent (CHF/m²)</th></tr><tr><td>2023</td><td>1 020</td></tr><tr><td>2024</td><td>1 061</td></tr></table>',
  },
  {
    path: 'html > body > main > article > ul:nth-of-type(1)',
    tag: 'ul',
    text: 'Higher rents\nFewer tourists 🧳\nNew tram works',
    html: '<ul><li>Higher rents</li><li>Fewer tourists 🧳</li><li>New tram works</li></ul>',
    rawLabel: 'boilerplate',
    smoothedBy: 'context',
  },
];

const PROMO: BlockSeed[] = [0, 1, 2, 3].map((n) => ({
  path: `html > body > aside > div.cards > div:nth-of-type(${n + 1})`,
  tag: 'div',
  text: `Sponsored: Espresso machine deal #${n + 1} — save 30 % today`,
  html: `<div><a href="https://shop.example.net/deal/${n + 1}?ref=news">Espresso machine deal #${n + 1}</a> — save 30 % today</div>`,
  listingSize: 4,
  listingKey: 'aside>div.cards>div',
  ...(n === 3 ? { rawLabel: 'boilerplate' as const, smoothedBy: 'listing' as const } : {}),
}));

const BOILERPLATE: BlockSeed[] = [
  {
    path: 'html > body > header > nav:nth-of-type(1)',
    tag: 'nav',
    text: 'Home\tWorld\tBusiness\tCulture',
    html: '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a> <a href="/culture">Culture</a></nav>',
  },
  {
    path: 'html > body > div#cookie > p:nth-of-type(1)',
    tag: 'p',
    text: 'We use cookies to improve your experience. Accept all?',
    html: '<p>We use cookies to improve your experience. <button>Accept all?</button></p>',
  },
  {
    path: 'html > body > footer > #run',
    tag: '#run',
    text: '© 2024 Example News & Partners <all rights reserved>',
    html: '© 2024 Example News &amp; Partners &lt;all rights reserved&gt;',
  },
];

const SCORES: Record<Label, Record<Label, number>> = {
  editorial: { editorial: 0.9321, promo: 0.0412, boilerplate: 0.0267 },
  promo: { editorial: 0.0815, promo: 0.8712345678901234, boilerplate: 0.0472654321098766 },
  boilerplate: { editorial: 0.1, promo: 0.2, boilerplate: 0.7 },
};

/** A realistic article: 5 editorial, 4 promo (one listing) and 3 boilerplate blocks, interleaved. */
export function makeArticle(options: ArticleOptions = {}): Article {
  const without = new Set(options.without ?? []);
  const seeds: Array<[Label, BlockSeed]> = [
    ['boilerplate', BOILERPLATE[0]],
    ['boilerplate', BOILERPLATE[1]],
    ...EDITORIAL.slice(0, 3).map((seed): [Label, BlockSeed] => ['editorial', seed]),
    ...PROMO.map((seed): [Label, BlockSeed] => ['promo', seed]),
    ...EDITORIAL.slice(3).map((seed): [Label, BlockSeed] => ['editorial', seed]),
    ['boilerplate', BOILERPLATE[2]],
  ];
  const blocks = seeds
    .filter(([label]) => !without.has(label))
    .map(([label, seed], index) => toBlock(label, seed, index, options.variant ?? ''));
  return assemble(blocks, options);
}

function toBlock(label: Label, seed: BlockSeed, index: number, variant: string): LabeledBlock {
  const scores = SCORES[label];
  return {
    listingSize: 1,
    listingKey: null,
    ...seed,
    index,
    text: seed.text + variant,
    label,
    confidence: scores[label] - index / 1000,
    scores,
    readability: label === 'editorial' ? 1 : index % 2 === 0 ? 0 : 0.25,
    topFeatures: [`tag:${seed.tag}`, `label-hint:${label}`, 'len:bucket-3'],
  };
}

function assemble(blocks: LabeledBlock[], options: ArticleOptions): Article {
  const editorial = blocks.filter((block) => block.label === 'editorial');
  return {
    url: options.url === undefined ? 'https://news.example.com/zurich/rents?id=42' : options.url,
    title: options.title === undefined ? 'Café owners in Zürich weigh a 4 % rent rise' : options.title,
    byline: 'Anna Müller',
    publishedTime: '2024-05-02T08:30:00+02:00',
    siteName: 'Example News',
    lang: 'en',
    excerpt: null,
    text: editorial.map((block) => block.text).join('\n'),
    html: editorial.map((block) => block.html).join('\n'),
    markdown: editorial.map((block) => block.text).join('\n\n'),
    blocks,
    model: options.model ?? 'nb-2024-05-01',
    engine: 'jsdom',
    counts: wordCounts(blocks),
    fallback: options.fallback ?? false,
  };
}

function wordCounts(blocks: LabeledBlock[]): Record<Label, number> {
  const counts: Record<Label, number> = { editorial: 0, promo: 0, boilerplate: 0 };
  for (const block of blocks) {
    counts[block.label] += block.text.split(/\s+/).filter(Boolean).length;
  }
  return counts;
}
