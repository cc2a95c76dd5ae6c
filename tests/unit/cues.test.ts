import { describe, expect, it } from 'vitest';
import { classCues, leadCues, leadsToStories, metaLineCues } from '../../src/features/cues.js';
import { countWords } from '../../src/segment/word-count.js';

const meta = (text: string) => metaLineCues(text, countWords(text));

describe('metaLineCues', () => {
  it('reads stamps in more languages and shapes: CJK dates, day-month-year, a long line cut by separators', () => {
    expect(meta('文・写真：小野寺 みずき公開日：2026/11/20更新日：2026/12/03')).toContain('dateline');
    expect(meta('Tomáš Bednář · 30. listopadu 2026 · čtení na 7 minut')).toContain('dateline');
    expect(meta('Irene Soldevilla6 dic. 2026 · 08:00Lectura: 6 min')).toContain('dateline');
    expect(meta('Julien Etcheverry, à Mérignac-Océan · Publié le 6 déc. 2026 à 19h02, modifié à 20h15')).toContain('dateline');
    expect(meta('Autonomie, photo de nuit, durée des mises à jour : nous avons vécu trois semaines avec huit téléphones')).not.toContain('credit');
    expect(meta('Photo de Jean Dupont')).toContain('credit');
  });

  it('reads bylines and datelines in several languages, clock times after "at" included', () => {
    expect(meta('By Jane Doe')).toEqual(['byline']);
    expect(meta('Posted: Fri 6:45 PM, Feb 16, 2018 |')).toContain('dateline');
    expect(meta('sexta-feira, 22 de outubro de 2010 às 20:13')).toContain('dateline');
    expect(meta('quinta-feira, 12 de março de 2026')).toContain('dateline');
    expect(meta('Aktualisiert am 04.03.2026, 17:20 Uhr')).toContain('dateline');
  });

  it('reads photo credits, alone or ending a caption of up to 60 words', () => {
    expect(meta('Natalie Naccache | Bloomberg | Getty Images')).toEqual(['credit']);
    expect(meta('Foto: dpa')).toEqual(['credit']);
    expect(meta('A long caption about the harbour at dawn, with the cranes idle and the fishing fleet tied up two deep along the quay. (Photo: Jane Roe/Reuters)')).toEqual(['credit']);
    expect(meta(`${'word '.repeat(70)}Getty Images`)).toEqual([]);
  });

  it('tells a bare publication stamp from a line that mentions a date', () => {
    expect(meta('Updated Nov 19, 9:41 AM;Posted Nov 18, 8:19 PM')).toEqual(['dateline', 'stamp']);
    expect(meta('Posted: Fri 6:45 PM, Feb 16, 2018 |')).toEqual(['dateline', 'stamp']);
    expect(meta('Aktualisiert am 04.03.2026, 17:20 Uhr')).toEqual(['dateline', 'stamp']);
    expect(meta('The vote is on March 3, 2024.')).toEqual(['dateline']);
    expect(meta('By Jane Doe | Nov 18, 2019')).toEqual(['byline', 'dateline']);
  });

  it("reads a line opening with a dash as a quotation's signature, its date as no dateline", () => {
    expect(meta('— Jane Roe (@janeroe) November 18, 2019')).toEqual(['attribution']);
    expect(meta('– Seneca')).toEqual(['attribution']);
    expect(meta('-- tall glass of coquito (@orabora) November 19, 2019')).toEqual(['attribution']);
    expect(meta('Jane Roe, November 18, 2019')).toEqual(['dateline']);
  });

  it('leaves ordinary sentences alone', () => {
    expect(meta('The council voted to keep the library open on Sundays.')).toEqual([]);
    expect(meta('She said the image of the city had changed.')).toEqual([]);
  });
});

describe('leadCues', () => {
  it('marks chrome phrases that open a block', () => {
    expect(leadCues('Read more: Alibaba poised to launch a record listing')).toEqual(['boilerplate']);
    expect(leadCues('Also on example.com Ministers face a new inquiry')).toEqual(['boilerplate']);
    expect(leadCues('You may also like...')).toEqual(['boilerplate']);
    expect(leadCues('Lesen Sie auch: Die Bahn streicht Verbindungen')).toEqual(['boilerplate']);
    expect(leadCues('[button link="https://example.com/x" type="big"]Send us your review[/button]')).toEqual(['boilerplate']);
    expect(leadCues('This slideshow requires JavaScript.')).toEqual(['boilerplate']);
    expect(leadCues('Advert')).toEqual(['promo']);
    expect(leadCues('ANZEIGE')).toEqual(['promo']);
  });

  it('needs the phrase at the start and as whole words', () => {
    expect(leadCues('Readers wrote in to say the bridge reopened.')).toEqual([]);
    expect(leadCues('Subscribers to the service lost access for a day.')).toEqual([]);
    expect(leadCues('Critics say you may also like the sequel.')).toEqual([]);
    expect(leadCues('Advertisers pulled out of the league last year.')).toEqual([]);
  });
});

describe('leadsToStories', () => {
  it('tells lines that point to more stories from calls to act', () => {
    expect(leadsToStories('You may also like…')).toBe(true);
    expect(leadsToStories('Read more: Alibaba poised to launch a record listing')).toBe(true);
    expect(leadsToStories('Lire aussi :')).toBe(true);
    expect(leadsToStories('Sign up for these free alerts:')).toBe(false);
    expect(leadsToStories('Subscribe to the agenda feeds:')).toBe(false);
    expect(leadsToStories('Readers wrote in to say the bridge reopened.')).toBe(false);
  });
});

describe('classCues', () => {
  it('reads chrome and selling class words, but not the chrome word of an embed', () => {
    expect(classCues('social-share-bar')).toEqual(['boilerplate']);
    expect(classCues('ad-slot sponsored')).toEqual(['promo']);
    expect(classCues('social-media-embed')).toEqual([]);
    expect(classCues('twitter-tweet')).toEqual([]);
    expect(classCues('instagram-media social-share')).toEqual([]);
    expect(classCues('InlineImage-imageEmbedCaption')).toEqual(['boilerplate']);
    expect(classCues('video-embed share-bar')).toEqual(['boilerplate']);
    expect(classCues('entry-content')).toEqual([]);
  });

  it("does not read the story's own header as site chrome, but still reads the site's header", () => {
    expect(classCues('article-header')).toEqual([]);
    expect(classCues('c-article__header')).toEqual([]);
    expect(classCues('entryHeader')).toEqual([]);
    expect(classCues('site-header')).toEqual(['boilerplate']);
    expect(classCues('article-header site-header')).toEqual(['boilerplate']);
    expect(classCues('article-footer')).toEqual(['boilerplate']);
  });
});
