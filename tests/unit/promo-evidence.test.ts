import { describe, expect, it } from 'vitest';
import { parsePage } from '../../src/dom/engine.js';
import {
  blockEvidence,
  hasCodeShape,
  hasOdds,
  hasRating,
  isAdLabel,
  isAffiliateDisclosure,
  isCallToAction,
  isDiscount,
  isGamblingNotice,
  linkEvidence,
  moneyCount,
  namesCode,
} from '../../src/features/promo-evidence.js';
import { readableClassName, readableClassNames } from '../../src/segment/class-names.js';
import { segment } from '../../src/segment/segment.js';
import { analyzePage } from '../../src/pipeline.js';
import type { Block } from '../../src/segment/block.js';

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe('money', () => {
  it('counts amounts in any currency, with decimal comma or point, ranges and was/now pairs', () => {
    expect(moneyCount('29,99 €')).toBe(1);
    expect(moneyCount('zł 1 999,00 zł 1 699,00')).toBe(2);
    expect(moneyCount('$1,299.99')).toBe(1);
    expect(moneyCount('4,480円から3,980円に')).toBe(2);
    expect(moneyCount('R$ 89,90')).toBe(1);
    expect(moneyCount('CHF 120.–')).toBe(1);
    expect(moneyCount('USD 20 - USD 35')).toBe(2);
    expect(moneyCount('1 299 Kč')).toBe(1);
    expect(moneyCount('The team won 3-1 in 2026 with 45,000 fans')).toBe(0);
  });

  it('reads discounts in many languages, not a score or a share', () => {
    for (const text of ['-20 %', '30% off', '15 % Rabatt', '20% de descuento', '-15%', '10%オフ', 'save 15 dollars']) expect(isDiscount(text), text).toBe(true);
    for (const text of ['Turnout rose 20% this year', 'Won 2-1']) expect(isDiscount(text), text).toBe(false);
  });
});

describe('calls to action', () => {
  it('recognises short shop buttons in many languages', () => {
    for (const text of ['Ver precio', 'Sprawdź cenę', 'Voir le prix', 'Jetzt kaufen', 'Buy now', 'Купить', '購入する', '구매하기', 'Satın al', 'Koop nu', 'Acquista ora', 'Beli sekarang', 'Kup teraz', 'Zum Angebot']) {
      expect(isCallToAction(text), text).toBe(true);
    }
  });

  it('leaves sentences and long lines alone', () => {
    expect(isCallToAction('Shopping centres reopened across the region on Monday')).toBe(false);
    expect(isCallToAction('Kaufen Sie nicht das billigste Modell, sagt die Verbraucherzentrale heute')).toBe(false);
    expect(isCallToAction('Buying guide')).toBe(false);
  });
});

describe('ratings, odds, codes, gambling lines', () => {
  it('reads star ratings and scores out of five or ten', () => {
    for (const text of ['★★★★☆', '4.5/5', '4,5 von 5', '9/10', '4.5 stars', '4,5 estrellas']) expect(hasRating(text), text).toBe(true);
    expect(hasRating('The vote was 45 to 5 in the council')).toBe(false);
  });

  it('reads a row of odds, not a row of prices', () => {
    expect(hasOdds('Home 1.85 Draw 3.40 Away 4.20', 7)).toBe(true);
    expect(hasOdds('Home 5/2 Draw 11/4 Away 6/5', 6)).toBe(true);
    expect(hasOdds('1,85 € 3,40 € 4,20 €', 6)).toBe(false);
  });

  it('reads a code to type at checkout beside a word for code', () => {
    expect(hasCodeShape('Kod rabatowy: SPRZATANIE12') && namesCode('Kod rabatowy: SPRZATANIE12')).toBe(true);
    expect(hasCodeShape('Código: VERANO25') && namesCode('Código: VERANO25')).toBe(true);
    expect(hasCodeShape('The A380 and the Boeing 737 MAX')).toBe(true);
    expect(namesCode('The A380 and the Boeing 737 MAX')).toBe(false);
  });

  it('reads age limits and responsible-gambling lines, not percentages', () => {
    for (const text of ['18+ | Juega con responsabilidad', 'Gamble responsibly. BeGambleAware.org', 'Graj odpowiedzialnie', 'Il gioco può causare dipendenza']) expect(isGamblingNotice(text), text).toBe(true);
    expect(isGamblingNotice('Rents rose +18.5% in a year')).toBe(false);
  });
});

describe('labels and disclosures', () => {
  it('reads ad and partner labels in at least twenty languages', () => {
    const labels = [
      'Anzeige', 'Publicité', 'Sponsorisé', 'Publicidade', 'Patrocinado', 'Contenuto sponsorizzato', 'Advertentie', 'Reklama', '広告', 'PR', '광고',
      'Реклама', 'إعلان', 'Reklam', 'Iklan', 'Sponsored', 'Partner content', 'Materiał partnera', 'Annons', 'Mainos', 'Komerční sdělení', 'Διαφήμιση',
      'Presented by Acme', 'Anzeige · Ratgeber',
    ];
    for (const label of labels) expect(isAdLabel(label, words(label)), label).toBe(true);
    expect(new Set(labels.map((label) => label.split(' ')[0])).size).toBeGreaterThanOrEqual(20);
  });

  it('reads a label closing a short line and a paid-placement notice', () => {
    for (const text of ['ASTE GIUDIZIARIE informazione pubblicitaria', 'Acme Grid · Sponsored', 'Featured listings are paid for by estate agents.', 'Bezahlte Einträge']) {
      expect(isAdLabel(text, words(text)), text).toBe(true);
    }
  });

  it('does not read a sentence or a heading about advertising as a label', () => {
    for (const text of ['Advertising revenue fell again', 'Why sponsored content confuses readers', 'Promotion: the club goes up']) expect(isAdLabel(text, words(text)), text).toBe(false);
  });

  it('reads affiliate-commission disclosures in many languages', () => {
    const disclosures = [
      'We may earn a commission when you buy through links on our site.',
      'Este artículo contiene enlaces de afiliado: si compras, recibimos una comisión.',
      'Niektóre linki w tym artykule to linki partnerskie. Jeśli coś przez nie kupisz, dostaniemy prowizję.',
      'Cet article contient des liens affiliés.',
      'Dieser Artikel enthält Affiliate-Links, für die wir eine Provision erhalten.',
    ];
    for (const text of disclosures) expect(isAffiliateDisclosure(text, words(text)), text).toBe(true);
    expect(isAffiliateDisclosure('The link between sleep and memory is well established, researchers said.', 12)).toBe(false);
  });
});

describe('link shape', () => {
  it('counts sponsored rel, affiliate parameters, redirectors, shop hosts and outbound links', () => {
    const evidence = linkEvidence([
      { href: 'https://www.amazon.es/dp/B0?tag=site-21', rel: 'sponsored nofollow', text: 'Ver precio', external: true },
      { href: 'https://go.cenomat.example/r?aff=site&utm_source=site', rel: 'nofollow', text: 'Sprawdź cenę', external: true },
      { href: 'https://news.example/2026/story', rel: '', text: 'our review', external: false },
    ]);
    expect(evidence).toMatchObject({ sponsored: 1, nofollow: 1, affiliate: 2, shop: 1, external: 2, cta: 2, links: 3 });
  });
});

describe('class names', () => {
  it('leaves out hashed and utility names, keeps readable ones and the head of a CSS-modules name', () => {
    expect(readableClassNames('css-1q2w3e sc-bdVaJa jsx-3412 css-1ad4xz')).toBe('');
    expect(readableClassNames('px-4 py-2 md:flex bg-gray-100 text-sm items-center rounded-xl w-1/2 flex')).toBe('');
    expect(readableClassName('ProductCard_box__4kPz2')).toBe('ProductCard_box');
    expect(readableClassName('styles_card__x7Yz')).toBe('styles_card');
    for (const name of ['ad-slot', 'top-deals', 'article-body', 'col-md-6', 'sponsor-read']) expect(readableClassName(name), name).toBe(name);
  });

  it('gives a hashed name no class word or cue in segmentation', () => {
    const page = parsePage('<html><body><div class="css-1ad4xz sc-AdBcDe"><p class="Text_p__Ad9x2">A paragraph of plain text.</p></div></body></html>', { engine: 'linkedom' });
    try {
      const [block] = segment(page.document);
      expect(block.classCues).toEqual([]);
      expect(block.classTokens).not.toContain('ad');
    } finally {
      page.dispose();
    }
  });
});

describe('blocks carry their links and buttons', () => {
  it('records href (absolute), rel, text and whether a link leaves the site', () => {
    const html = `<html><body><div><p>Compare at <a href="https://www.amazon.de/dp/1?tag=x-21" rel="Sponsored NoFollow">Amazon</a> or <a href="/test">our test</a>.</p>
      <p><button type="button">Code kopieren</button></p></div></body></html>`;
    const page = parsePage(html, { engine: 'linkedom', url: 'https://www.testblog.de/a' });
    try {
      const blocks = segment(page.document, { url: 'https://www.testblog.de/a' });
      expect(blocks[0].links).toEqual([
        { href: 'https://www.amazon.de/dp/1?tag=x-21', rel: 'sponsored nofollow', text: 'Amazon', external: true },
        { href: 'https://www.testblog.de/test', rel: '', text: 'our test', external: false },
      ]);
      expect(blocks[1].buttons).toEqual(['Code kopieren']);
    } finally {
      page.dispose();
    }
  });
});

/** A Spanish article with an affiliate box between two paragraphs, on hashed class names. */
const AFFILIATE_PAGE = `<!DOCTYPE html><html lang="es"><head><title>Las mejores freidoras de aire de 2026 - Cocina Hoy</title></head><body>
<main class="css-k2j3h4"><article class="sc-fHjqPf">
<h1 class="css-9f8e7d">Las mejores freidoras de aire de 2026</h1>
<p class="css-1q2w3e">Hemos probado doce freidoras de aire durante tres meses en nuestra cocina de pruebas, con patatas, alitas y verduras congeladas.</p>
<p class="css-1q2w3e">${'La capacidad importa menos de lo que parece y el ruido más de lo que los fabricantes admiten en sus fichas técnicas. '.repeat(4)}</p>
<div class="sc-bdVaJa kLmNo">
  <p class="sc-gsTCUz">Enlaces patrocinados</p>
  <div class="sc-dlfnbm"><img src="/f1.jpg" alt=""><p class="sc-hKgILt">Cosori Pro 5,5 l</p><p class="sc-eCssSg">89,99 € <s>119,99 €</s></p><a class="sc-jSgupP" href="https://www.amazon.es/dp/B01?tag=cocinahoy-21" rel="sponsored nofollow">Ver precio</a></div>
  <div class="sc-dlfnbm"><img src="/f2.jpg" alt=""><p class="sc-hKgILt">Ninja Dual 7,6 l</p><p class="sc-eCssSg">149,00 €</p><a class="sc-jSgupP" href="https://www.amazon.es/dp/B02?tag=cocinahoy-21" rel="sponsored nofollow">Ver precio</a></div>
</div>
<p class="css-1q2w3e">${'Para una familia de cuatro, una cesta de cinco litros basta si se cocina en dos tandas y se precalienta bien. '.repeat(4)}</p>
<div class="css-x8y9z0"><span>Contenido patrocinado</span></div>
<p class="css-1q2w3e">Con el seguro Hogar Plus, tus electrodomésticos quedan protegidos desde el primer día frente a averías y subidas de tensión, sin franquicia.</p>
</article></main></body></html>`;

describe('selling evidence as features', () => {
  const analysis = analyzePage(AFFILIATE_PAGE, { url: 'https://www.cocinahoy.es/freidoras' });
  const index = (start: string) => {
    const i = analysis.blocks.findIndex((block) => block.text.startsWith(start));
    expect(i, start).toBeGreaterThanOrEqual(0);
    return i;
  };
  const tokens = (start: string) => [...analysis.features[index(start)].keys()];
  const evidence = (start: string) => blockEvidence(analysis.blocks[index(start)] as Block);

  it('marks each card block with what it shows and what its box shows', () => {
    expect(evidence('89,99')).toEqual(expect.arrayContaining(['money', 'money_pair']));
    expect(evidence('Ver precio')).toEqual(expect.arrayContaining(['sponsored_link', 'affiliate_link', 'shop_link', 'cta', 'outbound']));
    expect(evidence('Enlaces patrocinados')).toContain('ad_label');
    // The product name says nothing itself; its box sells.
    expect(tokens('Cosori Pro')).toEqual(expect.arrayContaining(['box=money', 'box=cta', 'box=sponsored_link']));
  });

  it("learns Readability's verdict on a selling block apart", () => {
    expect(tokens('Ver precio').some((token) => /^rd=\w+\.sold$/.test(token))).toBe(true);
    expect(tokens('Hemos probado').some((token) => token.endsWith('.sold'))).toBe(false);
  });

  it('lets a label right above a paragraph mark it, and no other paragraph', () => {
    expect(tokens('Con el seguro')).toContain('after_label');
    expect(tokens('Para una familia')).not.toContain('after_label');
  });

  it('marks the first prose under the headline as the standfirst', () => {
    expect(tokens('Hemos probado')).toContain('standfirst');
    expect(tokens('Para una familia')).not.toContain('standfirst');
  });

  it('gives hashed class names no class tokens', () => {
    expect(tokens('Cosori Pro').filter((token) => token.startsWith('cls=') || token.startsWith('ccue='))).toEqual([]);
  });
});

describe('a label over an ad slot', () => {
  it('labels the slot, not the paragraph after it', () => {
    const html = `<!DOCTYPE html><html lang="de"><head><title>Radwerke insolvent</title></head><body><article><h1>Radwerke insolvent</h1>
      <p>${'Die Bilanz der Branche lässt sich auch so lesen, sagen Händler in der Region. '.repeat(4)}</p>
      <div class="slot"><span>Anzeige</span></div><div id="ad-frame-1"></div>
      <p>Dass die Radwerke es nicht geschafft haben, erklären Branchenkenner mit hausgemachten Fehlern.</p>
      <div class="kicker"><span>Anzeige</span></div>
      <p>Mit dem Konto Plus sparen Sie beim Radkauf und zahlen in bequemen Raten ohne Zinsen.</p></article></body></html>`;
    const analysis = analyzePage(html, { url: 'https://wirtschaft.example/a' });
    const at = (start: string) => analysis.blocks.findIndex((block) => block.text.startsWith(start));
    expect(analysis.blocks[at('Dass die')]).toBeDefined();
    expect(analysis.blocks[at('Dass die') - 1].besideEmpty).toBe(true);
    expect([...analysis.features[at('Dass die')].keys()]).not.toContain('after_label');
    expect([...analysis.features[at('Mit dem Konto')].keys()]).toContain('after_label');
  });
});

describe('cards of a repeated listing', () => {
  it('marks image cards that show a price, and not a list of plain items', () => {
    const card = (i: number) => `<li><a href="/go/listing/${i}"><img src="/l${i}.jpg" alt=""><br><b>£${400 + i},000</b><br>3 bed house, Road ${i}</a></li>`;
    const item = (i: number) => `<li>Step ${i}: stir the sauce for two minutes and taste it.</li>`;
    const html = `<!DOCTYPE html><html lang="en"><head><title>Prices fall</title></head><body><article><h1>Prices fall</h1>
      <p>${'Asking prices fell again in March as supply grew and borrowing stayed dear. '.repeat(4)}</p>
      <ul>${[1, 2, 3, 4].map(card).join('')}</ul><ol>${[1, 2, 3, 4].map(item).join('')}</ol></article></body></html>`;
    const analysis = analyzePage(html, { url: 'https://homes.example/a' });
    const tokens = (start: string) => [...analysis.features[analysis.blocks.findIndex((block) => block.text.startsWith(start))].keys()];
    expect(tokens('£401,000')).toContain('card=selling');
    expect(tokens('Step 1')).not.toContain('card=selling');
  });
});

describe('notes about the author', () => {
  it('reads a paragraph opening with a byline name as a note about a person', () => {
    const html = `<!DOCTYPE html><html lang="nl"><head><title>Stamppot in Zwolle</title></head><body><article>
      <h1>Stamppot in Zwolle</h1><p>Door Bas van der Veen · 3 december 2026</p>
      <p>${'De zuurkool is zuur en de worst is goed, maar de jus verdient beter. '.repeat(5)}</p>
      <div class="author"><p>Bas van der Veen</p><p>Bas schrijft sinds 2019 voor Smaakstad over eten in Overijssel.</p></div>
      <p>Reacties? Mail naar bas@smaakstad.example of bel de redactie.</p></article></body></html>`;
    const analysis = analyzePage(html, { url: 'https://smaakstad.example/a' });
    const tokens = (start: string) => [...analysis.features[analysis.blocks.findIndex((block) => block.text.startsWith(start))].keys()];
    expect(tokens('Bas schrijft')).toContain('bio');
    expect(tokens('De zuurkool')).not.toContain('bio');
    expect(tokens('Reacties?')).toContain('email');
  });
});
