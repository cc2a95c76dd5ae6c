/**
 * Cue words: small hand-made lexicons, in the languages winnow stems, of what sells and what is
 * site chrome. Each pools many rare words into one frequent feature, so a cue learned from one
 * template ("Anzeige", "Publicité", "div.ad-slot") carries over to every other template that
 * uses any word of the same list. The classifier still decides how much a cue is worth.
 */

/** One case-insensitive pattern matching any of the phrases as whole words. */
function wordList(phrases: string[]): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${phrases.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
}

/** Words in block or heading text that mark advertising and selling. */
const PROMO_TEXT = wordList([
  'ad', 'ads', 'advert', 'featured', 'partners?', 'advertisement', 'advertorial', 'sponsored', 'sponsor', 'promoted', 'paid (?:content|post|partnership)',
  'partner (?:content|offer)', 'offer from our partner', 'around the web', 'you may like', 'deals?',
  'coupon', 'promo code', 'use code', 'buy now', 'shop now', 'add to (?:cart|bag|basket)', 'check price',
  'view deal', 'see price', 'on amazon', 'at amazon', 'free shipping', 'limited time', '\\d+ ?% off', 'sign-up bonus',
  'anzeige', 'werbung', 'gesponsert', 'angebot', 'rabatt', 'gutschein', 'jetzt kaufen',
  'publicité', 'sponsorisé', 'contenu sponsorisé', 'code promo', 'partenaire', 'offre',
  'publicidad', 'patrocinado', 'contenido patrocinado', 'oferta', 'descuento', 'cupón',
  'pubblicità', 'sponsorizzato', 'advertentie', 'publicidade',
]);

/** Words in block or heading text that mark the site's own chrome. */
const BOILERPLATE_TEXT = wordList([
  'cookies?', 'consent', 'privacy', 'newsletter', 'subscribe', 'sign up', 'sign in', 'log in', 'register',
  'share', 'follow us', 'related', 'read more', 'you (?:may|might) also (?:like|enjoy)', 'more (?:[\\p{L}\\p{N}]+ ){0,3}(?:stories|articles|reads)', 'read next', 'more from', 'most (?:read|popular)', 'trending',
  'comments?', 'reply', 'copyright', 'all rights reserved', 'terms of (?:use|service)', 'contact us',
  'about us', 'skip to', 'menu', 'back to top', 'photo:', 'image:', 'credit:', 'requires javascript', 'enable javascript',
  'datenschutz', 'abonnieren', 'weiterlesen', 'mehr zum thema', 'kommentare', 'teilen', 'impressum',
  'lire aussi', 'abonnez', "s'abonner", 'partager', 'commentaires', 'mentions légales', 'à lire',
  'suscríbete', 'boletín', 'compartir', 'comentarios', 'lee también', 'más leídas',
  'leia também', 'leia mais', 'veja também', 'comentários', 'compartilhe', 'assine',
]);

/**
 * Class/id words of ad and selling containers. A class value carries the cue when one of its
 * letter runs (split on anything but a-z, after lowercasing) is one of these words.
 */
const PROMO_CLASS = new Set([
  'ad', 'ads', 'adv', 'advert', 'advertisement', 'adslot', 'adunit', 'dfp', 'gpt', 'sponsor', 'sponsored', 'promo',
  'promoted', 'taboola', 'outbrain', 'trc', 'affiliate', 'aff', 'deal', 'deals', 'shop', 'shopping', 'commerce',
  'partner', 'offer', 'coupon', 'native', 'paid', 'mpu', 'leaderboard', 'skyscraper', 'billboard',
]);

/** Class/id words of site chrome containers (matched as PROMO_CLASS is). */
const BOILERPLATE_CLASS = new Set([
  'nav', 'navbar', 'menu', 'header', 'masthead', 'footer', 'cookie', 'consent', 'gdpr', 'newsletter', 'subscribe',
  'signup', 'share', 'sharing', 'social', 'related', 'recirc', 'comment', 'comments', 'breadcrumb', 'breadcrumbs',
  'tag', 'tags', 'author', 'byline', 'bio', 'caption', 'credit', 'meta', 'paywall', 'meter', 'toc', 'pagination',
  'pager', 'trending', 'popular',
]);

/** Class/id words of a post from a social network that the article quotes. */
const POST_CLASS = new Set(['tweet', 'instagram', 'mastodon', 'bluesky', 'tiktok']);

/** Class/id words of an embed: a quoted post only beside "social" or "post" ("social-embed"); an image embed's caption stays chrome. */
const EMBED_CLASS = new Set(['embed', 'embedded', 'oembed']);
const SOCIAL_CLASS = new Set(['social', 'post']);

/** The class words name a quoted post: they cancel a chrome word beside them ("social-media-embed", "twitter-tweet"). */
function namesQuotedPost(words: string[]): boolean {
  return words.some((word) => POST_CLASS.has(word)) || (words.some((word) => EMBED_CLASS.has(word)) && words.some((word) => SOCIAL_CLASS.has(word)));
}

const LETTER_RUN = /[a-z]+/g;

/** Cue tokens for a piece of text (`promo`, `boilerplate`, both or none). */
export function textCues(text: string): string[] {
  const cues: string[] = [];
  if (PROMO_TEXT.test(text)) cues.push('promo');
  if (BOILERPLATE_TEXT.test(text)) cues.push('boilerplate');
  return cues;
}

/** Class words naming the story itself; beside them "header" is the story's own header. */
const STORY_CLASS = new Set(['article', 'entry', 'post', 'story']);

/**
 * Class words of one class/id attribute pair, lowercased, camelCase split. "header" is left
 * out of a class name that also names the story ("article-header", "entry-header",
 * "c-article__header"): that header holds the headline, and on some templates the body too.
 */
function classWords(classAndId: string): string[] {
  const words: string[] = [];
  for (const name of classAndId.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase().split(/\s+/)) {
    const parts = name.match(LETTER_RUN);
    if (parts === null) continue;
    const storyHeader = parts.includes('header') && parts.some((part) => STORY_CLASS.has(part));
    for (const part of parts) if (!storyHeader || part !== 'header') words.push(part);
  }
  return words;
}

/** Cue tokens for raw class/id attribute values (camelCase split first). */
export function classCues(classAndId: string): string[] {
  const words = classWords(classAndId);
  const cues: string[] = [];
  if (words.length === 0) return cues;
  if (words.some((word) => PROMO_CLASS.has(word))) cues.push('promo');
  // "social-embed", "twitter-tweet": a quoted post the article embeds, not a share bar.
  if (words.some((word) => BOILERPLATE_CLASS.has(word)) && !namesQuotedPost(words)) cues.push('boilerplate');
  return cues;
}

/** Longest block (in words) that can read as a byline or dateline rather than prose. */
const META_LINE_MAX_WORDS = 14;
/** The same for a line cut into fields by separators ("Name, place · Published … · modified …"). */
const SEPARATED_META_LINE_MAX_WORDS = 22;
/** A field separator of a meta line: a middle dot, a bar or a bullet between spaces. */
const FIELD_SEPARATOR = /\s[·|•]\s/;

/** "By Jane Doe", "Von Anna Berg", "Par Léa Martin", "(Reporting by …; Editing by …)": a capital after the preposition (no `i` flag: it would make \p{Lu} match any letter). */
const BYLINE = /^\(?\s*(?:(?:[Aa]dditional\s+)?(?:[Rr]eporting|[Ww]riting|[Ee]diting|[Tt]ext|[Ww]ords|[Pp]hotos?|[Ff]otos?|[Ii]nterview)\s+)?(?:[Bb]y|BY|[Vv]on|VON|[Pp]ar|PAR|[Pp]or|POR|[Dd]i|[Dd]oor)\s+\p{Lu}/u;

/** Publication stamps: "Updated 1:39 am EST", "Publié le 3 mars 2024", "2019-11-20", "20.11.2019". */
const DATELINE = new RegExp(
  [
    '(?<![\\p{L}\\p{N}])(?:updated|published|posted|last modified|aktualisiert|veröffentlicht|publié|mis à jour|publicado|actualizado|pubblicato|aggiornato|gepubliceerd|bijgewerkt|opublikowano|zaktualizowano|publikováno|aktualizováno|publicerad|uppdaterad|publisert|oppdatert|опубликовано|обновлено|yayınlanma|güncellendi|güncelleme|diterbitkan|diperbarui)(?![\\p{L}])',
    // CJK and Arabic stamp words, which no word boundary separates: 公開日, 更新日, 配信, 입력, 수정, نشر في.
    '(?:公開日|更新日|配信|投稿日|发布时间|發佈|입력\\s?\\d|수정\\s?\\d|نشر في|آخر تحديث)',
    // Day, month word, year in any language: "30. listopadu 2026", "6 déc. 2026", "30 nov 2026".
    '(?<!\\p{N})\\d{1,2}\\.?\\s+\\p{L}{3,12}\\.?,?\\s+\\d{4}(?!\\p{N})',
    // Numeric dates with spaces or CJK units: "30. 11. 2026", "2026/11/20", "2026年12月7日", "2026.12.07".
    '(?<!\\p{N})\\d{1,2}\\.\\s\\d{1,2}\\.\\s\\d{4}(?!\\p{N})|(?<!\\p{N})\\d{4}[./]\\d{1,2}[./]\\d{1,2}(?!\\p{N})|\\d{4}年\\d{1,2}月\\d{1,2}日|\\d{1,2}/\\d{1,2}\\s?\\([月火水木金土日]\\)',
    '\\b\\d{1,2}[:.]\\d{2}\\s*(?:am|pm|a\\.m\\.|p\\.m\\.|uhr|h)\\b',
    '\\b\\d{4}-\\d{2}-\\d{2}\\b',
    '\\b\\d{1,2}[./]\\d{1,2}[./]\\d{2,4}\\b',
    '(?<![\\p{L}])(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|januari|februari|maart|mei|augustus|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro)\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}',
    '\\b\\d{1,2}\\.?\\s+(?:de\\s+)?(?:jan(?:uary)?|feb(?:ruary)?|march|april|may|june|july|august|september|october|november|december|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|januari|februari|maart|mei|augustus|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro)\\.?,?\\s+(?:de\\s+)?\\d{4}',
    // A 24-hour clock after the word for "at": "às 20:13", "um 17:20", "alle 9.30", "a las 10:05".
    '(?<![\\p{L}])(?:às|à|at|um|alle|om|a las|a la)\\s+\\d{1,2}[:.h]\\d{2}\\b',
  ].join('|'),
  'iu',
);

const DATELINE_ALL = new RegExp(DATELINE.source, 'giu');

/** Weekdays, months without a year, time zones and joining words a stamp carries beside its dates ("Fri", "Nov 19", "EST", "on"). */
const STAMP_WORDS = new RegExp(
  '(?<![\\p{L}])(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|' +
    'montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|' +
    'lunes|martes|miércoles|jueves|viernes|sábado|domingo|segunda|terça|quarta|quinta|sexta|feira|' +
    'lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|' +
    'jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|may|june|july|august|september|october|november|december|' +
    'am|pm|utc|gmt|cet|cest|est|edt|cst|cdt|mst|mdt|pst|pdt|bst|ist|on|at|um|le|de|el|às|à|alle|om|and|und|et|y|e)(?![\\p{L}])',
  'giu',
);

/** Most words a line may keep once its dates, times and stamp words are gone and still be a bare stamp. */
const STAMP_MAX_LEFT_WORDS = 0;

/**
 * A line that is nothing but a publication stamp: "Updated Nov 19, 9:41 AM; Posted Nov 18,
 * 8:19 PM", "Posted: Fri 6:45 PM, Feb 16, 2018 |". A sentence that mentions a date keeps words.
 */
function isBareStamp(text: string): boolean {
  const left = text.replace(DATELINE_ALL, ' ').replace(STAMP_WORDS, ' ').match(/\p{L}+/gu);
  return (left?.length ?? 0) <= STAMP_MAX_LEFT_WORDS;
}

/** "— Jane Roe (@janeroe) November 18, 2019", "– Seneca": the line that signs a quotation. */
const ATTRIBUTION = /^\s*(?:[\u2014\u2013\u2015]|--)\s*[\p{L}@]/u;

/**
 * Shape cues of a short line that stamps the article rather than telling it: a byline or
 * credit line (`byline`), a publication or update date (`dateline`), a bare stamp of dates
 * alone (`stamp`). Readability keeps such lines with the article; the labeling guide counts
 * them as boilerplate. A line opening with a dash signs a quotation or an embedded post
 * (`attribution`): its date is the post's, not the article's, so it reads as no dateline.
 */
export function metaLineCues(text: string, wordCount: number): string[] {
  if (wordCount === 0 || wordCount > CREDIT_MAX_WORDS) return [];
  const cues: string[] = [];
  if (wordCount <= META_LINE_MAX_WORDS || (wordCount <= SEPARATED_META_LINE_MAX_WORDS && FIELD_SEPARATOR.test(text))) {
    if (ATTRIBUTION.test(text)) {
      cues.push('attribution');
    } else {
      if (BYLINE.test(text)) cues.push('byline');
      if (DATELINE.test(text)) {
        cues.push('dateline');
        if (isBareStamp(text)) cues.push('stamp');
      }
    }
  }
  if (CREDIT.test(text) || CREDIT_BY.test(text)) cues.push('credit');
  return cues;
}

/** Longest block that can be a caption ending in its credit; a credit line itself is short. */
const CREDIT_MAX_WORDS = 60;

/** Photo credits: agencies, stock libraries and "Photo:" labels that end or make up a caption. */
const CREDIT = new RegExp(
  [
    '(?<![\\p{L}])(?:getty images|reuters|associated press|ap photo|afp|dpa|epa|efe|ansa|anp|shutterstock|istock(?:photo)?|alamy|imago|keystone|picture alliance|bloomberg)(?![\\p{L}])',
    '(?<![\\p{L}])(?:photo|photograph|image|picture|foto|bild|crédito|crédit|credit|illustration|source)s?\\s*[:/]\\s*\\p{L}',
    '©|\\(c\\)\\s*\\d{4}|courtesy of',
  ].join('|'),
  'iu',
);

/**
 * "Photo by Ana Ruiz", "Foto di Marco Bianchi": a credit names someone, so a capital follows (no
 * `i` flag, which would let \p{Lu} match any letter): "photo de nuit" is no credit.
 */
const CREDIT_BY = /(?<![\p{L}])(?:[Pp]hoto|PHOTO|[Pp]hotograph|[Ii]mage|[Pp]icture|[Ff]oto|FOTO|[Bb]ild|[Ii]llustration)s?\s+(?:by|By|BY|von|de|di|door)\s+\p{Lu}/u;

/**
 * Lead phrases that point to more stories ("Read more:", "Related:", "You may also like…",
 * "Lire aussi"), as against calls to act ("Sign up", "Subscribe", "Follow us"), which an
 * article's own instructions also open with.
 */
const STORY_LEADS = 'read (?:more|next|also)|also read|see also|related(?: stories| articles| coverage)?\\s*:|more on this|also on|you (?:may|might) also (?:like|enjoy)|recommended(?: for you)?\\s*:|leia (?:também|mais)|veja (?:também|mais)|saiba mais|lesen sie (?:auch|mehr)|mehr zum thema|lire aussi|à lire aussi|voir aussi|lee (?:también|más)|te puede interesar|vedi anche|leggi anche|lees ook';

/**
 * Chrome phrases that open a block: "Read more: …", "Also on …", "You may also like", "Lesen Sie
 * auch", "Advertisement", a leftover shortcode. At the start of a line they mark the line
 * itself, where the same words inside prose say little.
 */
const LEAD_BOILERPLATE = new RegExp(
  `^[\\s\\p{P}\\p{S}]*(?:(?:${STORY_LEADS}|watch(?: now| more| live)?\\s*:|listen\\s*:|like this (?:story|article)|tell us what|have a (?:news )?tip|share this|sign up|subscribe|follow us|click here|this (?:slideshow|video|content) requires)(?![\\p{L}])|\\[\\w+[^\\]]*=)`,
  'iu',
);

/** A line opening with a story lead, or with the rail title "Sur le même sujet". */
const LEAD_STORIES = new RegExp(`^[\\s\\p{P}\\p{S}]*(?:${STORY_LEADS}|sur le même sujet)(?![\\p{L}])`, 'iu');

/** True when a line opens with a phrase that points to more stories (see `LEAD_STORIES`). */
export function leadsToStories(text: string): boolean {
  return LEAD_STORIES.test(openingWords(text));
}

/** Characters of a line's start that lead cues read. */
const LEAD_CHARS = 80;

function openingWords(text: string): string {
  return text.length > LEAD_CHARS ? text.slice(0, LEAD_CHARS) : text;
}

const LEAD_PROMO = /^[\s\p{P}\p{S}]*(?:advert(?:isement)?|anzeige|werbung|publicidade|publicidad|publicité|pubblicità|advertentie|sponsored|paid (?:post|content)|promoted)(?![\p{L}])/iu;

/** Cues of a block's opening words (`lead=boilerplate`, `lead=promo`), for blocks of any length. */
export function leadCues(text: string): string[] {
  const head = openingWords(text);
  const cues: string[] = [];
  if (LEAD_PROMO.test(head)) cues.push('promo');
  if (LEAD_BOILERPLATE.test(head)) cues.push('boilerplate');
  return cues;
}
