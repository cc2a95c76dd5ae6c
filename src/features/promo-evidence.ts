/**
 * Evidence of selling that reads the same in any language and any markup: money, the shape of
 * links (rel, affiliate parameters, shop and redirector hosts), calls to action, ratings, odds,
 * coupon codes, responsible-gambling lines, ad disclosure labels, and affiliate-commission
 * disclosures. Each function answers for one block's text or links; `index.ts` turns answers
 * into feature tokens and spreads them over a block's box.
 */
import type { Block, BlockLink } from '../segment/block.js';

/** Phrases as whole words: not inside a longer Latin, Cyrillic or Greek word; CJK phrases match anywhere. */
function phrases(list: string[], flags = 'iu'): RegExp {
  return new RegExp(`(?<![\\p{Script=Latin}\\p{Script=Cyrillic}\\p{Script=Greek}\\p{N}])(?:${list.join('|')})(?![\\p{Script=Latin}\\p{Script=Cyrillic}\\p{Script=Greek}])`, flags);
}

/** Currency symbols and the letters some currencies are written with. */
const CURRENCY_SYMBOL = '[$€£¥₹₽₩₺₪₫₱฿₴₦₡₲₵₸]|R\\$|US\\$|A\\$|C\\$|zł|Kč|kr\\.?|Ft|lei|лв|руб\\.?|грн|円|元|원|TL|CHF|Rp\\.?|RM|د\\.إ|ر\\.س|ج\\.م';
/** ISO 4217 codes written beside amounts. */
const CURRENCY_CODE = 'USD|EUR|GBP|JPY|CHF|PLN|SEK|NOK|DKK|CZK|HUF|RON|BGN|BRL|MXN|ARS|CLP|COP|INR|RUB|UAH|TRY|KRW|CNY|AUD|CAD|NZD|IDR|MYR|SGD|THB|VND|PHP|ZAR|AED|SAR|EGP|ILS';
/** An amount: 1 999,00 · 1.299,99 · 19.99 · 20 · 19,- */
const AMOUNT = "\\d{1,3}(?:[ .,'\\u00a0\\u202f]\\d{3})+(?:[.,]\\d{1,2})?(?:,-|,–)?|\\d+(?:[.,]\\d{1,2})?(?:,-|,–)?";

/** One amount with its currency, before or after it. */
const MONEY = new RegExp(
  `(?:(?:${CURRENCY_SYMBOL}|(?<![A-Za-z])(?:${CURRENCY_CODE}))\\s?(?:${AMOUNT}))|(?:(?:${AMOUNT})\\s?(?:${CURRENCY_SYMBOL}|(?:${CURRENCY_CODE})(?![A-Za-z])))`,
  'gu',
);

/** How many currency amounts the text holds (ranges and was/now pairs hold two). */
export function moneyCount(text: string): number {
  if (!/\d/.test(text)) return 0;
  MONEY.lastIndex = 0;
  let count = 0;
  while (MONEY.exec(text) !== null) count++;
  return count;
}

/** A discount: -20 %, 30% off, 15 % Rabatt, 20% de descuento, save 15. */
const DISCOUNT = new RegExp(
  [
    '(?:^|[\\s(])[-−–]\\s?\\d{1,2}(?:[.,]\\d)?\\s?%',
    '\\d{1,2}\\s?%\\s?(?:off|rabatt|reduziert|günstiger|de réduction|de remise|de descuento|de desconto|di sconto|korting|zniżki|taniej|rabatu|скидк|indirim|diskon|オフ|引き|割引|할인|خصم)',
    '(?:save|spare|économisez|ahorra|risparmia|economize|bespaar|oszczędź|сэкономьте)\\s+(?:up to\\s+)?(?:\\d|[$€£])',
    '\\d{1,2}\\s?%\\s?(?:off|OFF)',
  ].join('|'),
  'iu',
);

export function isDiscount(text: string): boolean {
  return /\d/.test(text) && DISCOUNT.test(text);
}

/** Calls to buy, see a price, get a deal or a code, bet, apply: the text of a shop button. */
const CTA = new RegExp(
  `^[\\s\\p{P}\\p{S}]*(?:${[
    // en
    'buy(?: now| it| here)?', 'shop(?: now| the deal)?', 'order(?: now)?', 'check (?:the )?price', 'see (?:the )?price', 'view (?:the )?(?:deal|offer|price)',
    'get (?:the )?(?:deal|offer|code|discount|it)', 'see (?:the )?(?:deal|offer)', 'go to (?:the )?(?:shop|store)', 'visit (?:the )?(?:shop|store|site)',
    'add to (?:cart|bag|basket)', 'claim (?:the )?offer', '(?:reveal|show|copy|get) (?:the )?code', 'bet now', 'apply(?: now)?', 'book now', 'compare prices',
    // de
    'jetzt kaufen', 'kaufen', 'zum angebot', 'zum shop', 'zum händler', 'preis prüfen', 'preis ansehen', 'zum preisvergleich', '(?:jetzt )?bestellen', 'in den warenkorb',
    'code kopieren', 'gutschein(?:code)? (?:anzeigen|einlösen)', 'jetzt wetten', 'jetzt bewerben', 'bei \\p{L}+ ansehen',
    // fr
    'acheter', "voir (?:le prix|l'offre|l’offre|les offres|le code)", "profiter de l['’]offre", "j['’]en profite", 'commander', 'ajouter au panier', 'copier le code', 'parier', 'postuler',
    // es
    'comprar(?: ahora| ya)?', 'ver (?:precio|oferta|ofertas|código)', 'ir a la tienda', 'añadir al carrito', 'copiar código', 'apostar(?: ahora)?', 'solicitar', 'inscríbete',
    // it
    'acquista(?: ora)?', 'compra(?: ora)?', 'vedi (?:prezzo|offerta)', "scopri l['’]offerta", 'aggiungi al carrello', 'copia (?:il )?codice', 'scommetti', 'candidati',
    // pt
    'comprar agora', 'ver (?:preço|oferta)', 'ir para a loja', 'adicionar ao carrinho', 'copiar código', 'apostar agora', 'candidatar-se',
    // nl
    'kopen', 'koop nu', 'bekijk (?:prijs|aanbieding|deal)', 'naar de winkel', 'in winkelwagen', 'bestel nu', 'kopieer code', 'solliciteer',
    // pl
    'kup(?: teraz)?', 'sprawdź cenę', 'zobacz (?:cenę|ofertę|ofertę)', 'przejdź do sklepu', 'dodaj do koszyka', 'kopiuj kod', 'obstaw', 'aplikuj',
    // ru, uk
    'купить', 'узнать цену', 'смотреть цену', '(?:перейти )?в магазин', 'в корзину', 'заказать', 'скопировать код', 'сделать ставку', 'откликнуться', 'купити',
    // tr, id
    'satın al', 'fiyatı (?:gör|incele)', 'sepete ekle', 'mağazaya git', 'kodu kopyala', 'başvur', 'hemen al', 'beli(?: sekarang)?', 'cek harga', 'lihat (?:harga|penawaran)', 'salin kode', 'lamar',
    // sv, no, da, fi, cs, hu, ro
    'köp(?: nu)?', 'kjøp(?: nå)?', 'køb(?: nu)?', 'se pris', 'till butiken', 'til butikken', 'osta(?: nyt)?', 'katso hinta', 'koupit', 'zobrazit cenu', 'megveszem', 'cumpără',
    // ja, ko, zh, ar
    '今すぐ購入', '購入(?:する)?', '価格を(?:見る|チェック)', '\\p{L}+で見る', 'カートに入れる', 'コードをコピー', '구매(?:하기)?', '최저가(?: 보기)?', '가격 보기', '장바구니', '코드 복사',
    '立即购买', '购买', '查看价格', 'اشتر(?:ِ)? الآن', 'تسوق الآن', 'شراء', 'عرض السعر', 'انسخ (?:الكود|الرمز)',
  ].join('|')})(?![\\p{Script=Latin}\\p{Script=Cyrillic}])`,
  'iu',
);

/** Longest text that can be a button's or a call-to-action link's. */
const CTA_MAX_WORDS = 6;

/** A short line that asks the reader to buy, see a price, get a code, bet or apply. */
export function isCallToAction(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed || trimmed.split(/\s+/).length > CTA_MAX_WORDS) return false;
  return CTA.test(trimmed);
}

/** Star ratings: ★★★★☆, 4.5/5, 4,5 von 5, 9/10, 4.5 stars, 4,5 estrellas. */
const RATING = new RegExp(
  [
    '[★☆⭐✩✪]',
    '(?<![\\d.,/])(?:[0-9](?:[.,]\\d)?|10)\\s?(?:/|out of|von|sur|de|su|van|z|из|dari|üzerinden)\\s?(?:5|10)(?![\\d.,])',
    '(?<![\\d.,])[0-5](?:[.,]\\d)?\\s?(?:stars?|sterne?n?|étoiles?|estrellas?|stelle|estrelas?|sterren|gwiazd\\p{L}*|звезд\\p{L}*|yıldız|bintang|つ星|점)',
  ].join('|'),
  'iu',
);

export function hasRating(text: string): boolean {
  return RATING.test(text);
}

/** Decimal betting odds: 1.85, 3.40, 4.20 (three or more in a short line). */
const DECIMAL_ODDS = /(?<![\d.,])[1-9]\d?[.,]\d{2}(?![\d.,%])/g;
/** Fractional or American odds: 5/2, 11/4, +150, -110. */
const OTHER_ODDS = /(?<![\d/])(?:[1-9]\d?\/[1-9]\d?)(?![\d/])|(?<![\w.])[+-][1-9]\d{2}(?![\d.])/g;
/** Longest line read as a row of odds. */
const ODDS_MAX_WORDS = 30;

/** A short line holding three or more odds and no currency. */
export function hasOdds(text: string, words: number): boolean {
  if (words > ODDS_MAX_WORDS || !/\d/.test(text)) return false;
  const decimal = text.match(DECIMAL_ODDS)?.length ?? 0;
  const other = text.match(OTHER_ODDS)?.length ?? 0;
  return decimal + other >= 3 && moneyCount(text) === 0;
}

/** Age limits and responsible-gambling lines. */
const GAMBLING = phrases([
  'gamble ?aware', 'begambleaware', 'gamble responsibly', 'bet responsibly', 'play responsibly', 'when the fun stops',
  'juega con responsabilidad', 'juego responsable', 'jugar con responsabilidad', 'jouez (?:de manière )?responsable', 'jeu responsable', 'le jeu comporte des risques',
  'gioca responsabilmente', 'gioco responsabile', 'il gioco può causare dipendenza', 'verantwortungsvoll spielen', 'glücksspiel kann süchtig machen', 'spielen kann süchtig machen',
  'jogue com responsabilidade', 'jogo responsável', 'speel bewust', 'wat kost gokken', 'graj odpowiedzialnie', 'hazard uzależnia', 'играйте ответственно',
  'sorumlu oyna', 'bermain secara bertanggung jawab', 'spela ansvarsfullt', 'spill ansvarlig', 'spil ansvarligt', 'stodlinjen',
]);

/** An age limit: 18+, +18, 21+ (not +18.5 % nor 18+2). */
const AGE_LIMIT = /(?<![\p{N}.,+-])(?:1[89]|2[15])\+(?![\p{N}.,%])|(?<![\p{N}.,])\+(?:1[89]|2[15])(?![\p{N}.,%])/u;

/** Longest text read as a responsible-gambling line. */
const GAMBLING_MAX_CHARS = 400;

export function isGamblingNotice(text: string): boolean {
  if (text.includes('+') && AGE_LIMIT.test(text)) return true;
  return text.length <= GAMBLING_MAX_CHARS && GAMBLING.test(text);
}

/** Words that name a discount code. */
const CODE_WORD = phrases([
  'codes?', 'coupons?', 'vouchers?', 'promo ?codes?', 'discount codes?', 'gutschein(?:code)?s?', 'rabattcodes?', 'aktionscodes?', 'codes? promo', 'bons? de réduction',
  'códigos?', 'cupón', 'cupones', 'cupom', 'codice', 'codici', 'kortingscodes?', 'kod(?:u|y)?', 'kody', 'kód', 'kode', 'kupon(?:u|y|kodu)?', 'промокод\\p{L}*', 'код\\p{L}*',
  'クーポン', 'コード', '쿠폰', '코드', '优惠码', 'كود', 'رمز', 'indirim kodu', 'kode promo', 'rabatkode', 'rabattkod',
]);

/** A code to type at checkout: capitals and digits (SPRZATANIE12, BLACK-FRIDAY25, X7K9QZ). */
const CODE_SHAPE = /(?<![\p{L}\p{N}])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z][A-Z0-9-]{3,19}(?![\p{L}\p{N}])/u;

/** Text holding a code-like token. */
export function hasCodeShape(text: string): boolean {
  return /[A-Z][A-Z0-9-]*\d|\d[A-Z0-9-]*[A-Z]/.test(text) && CODE_SHAPE.test(text);
}

/** Text holding a word for a discount code. */
export function namesCode(text: string): boolean {
  return CODE_WORD.test(text);
}

/** Terms of an offer: an expiry or a minimum order. */
const OFFER_TERMS = phrases([
  'valid (?:until|till|through|thru)', 'expires?', 'expiring', 'ends (?:on|soon)', 'minimum (?:order|spend|purchase)', 'min\\. (?:order|spend)', 't&cs? apply', 'terms (?:and|&) conditions apply',
  'gültig bis', 'mindestbestellwert', 'es gelten', 'valable jusqu', "minimum d['’]achat", 'conditions', 'válido hasta', 'válida hasta', 'compra mínima', 'pedido mínimo',
  'valido fino', 'valida fino', 'spesa minima', 'válido até', 'geldig (?:tot|t/m)', 'minimale bestelwaarde', 'ważny do', 'ważna do', 'minimalna wartość zamówienia',
  'действует до', 'действителен до', 'geçerlilik', 'son kullanma', 'berlaku (?:hingga|sampai)', 'minimal pembelian', 'giltig (?:till|t\\.o\\.m)', 'gyldig til',
  '有効期限', '期限', '유효기간', '까지', '有效期',
]);

export function hasOfferTerms(text: string): boolean {
  return OFFER_TERMS.test(text);
}

/** Ad and paid-content disclosure labels, in many languages: the whole of a short line. */
const AD_LABELS = [
  'ad', 'ads', 'advert', 'advertisement', 'advertising', 'advertorial', 'sponsored', 'sponsored (?:content|post|article|story|links?)', 'sponsor content', 'paid (?:content|post|partnership|promotion)',
  'promoted', 'promoted content', 'partner content', 'content from our partners?', 'from our partners?', 'in partnership with', 'presented by', 'brought to you by', 'brand content',
  'anzeige', 'werbung', 'gesponsert', 'sponsored by', 'präsentiert von', 'in kooperation mit', 'partnerinhalt', 'promotion',
  'publicité', 'pub', 'sponsorisé', 'contenu sponsorisé', 'contenu partenaire', 'en partenariat avec', 'publi-?rédactionnel', 'publireportage',
  'publicidad', 'patrocinado', 'contenido patrocinado', '(?:enlaces|links) patrocinados', 'liens sponsorisés', 'link sponsorizzati', 'gesponserte links', 'gesponsorde links', 'contenido de marca', 'en colaboración con', 'publirreportaje',
  'publicidade', 'conteúdo patrocinado', 'conteúdo de marca', 'em parceria com', 'publieditorial',
  'pubblicità', 'sponsorizzato', 'contenuto sponsorizzato', 'contenuto sponsorizzato da', 'in collaborazione con', 'publiredazionale',
  'advertentie', 'gesponsord', 'gesponsorde inhoud', 'in samenwerking met',
  'reklama', 'materiał partnera', 'materiał sponsorowany', 'artykuł sponsorowany', 'treść sponsorowana', 'współpraca reklamowa',
  'реклама', 'на правах рекламы', 'партн[её]рский материал', 'спонсорский материал', 'промо',
  'reklam', 'sponsorlu', 'sponsorlu içerik', 'iş birliği', 'iklan', 'bersponsor', 'konten bersponsor', 'konten bersama',
  'annons', 'annonse', 'annonce', 'sponsrad', 'sponset', 'sponsoreret', 'mainos', 'kaupallinen yhteistyö', 'hirdetés', 'szponzorált', 'inzerce', 'reklamă', 'publicitate',
  'komerční sdělení', 'reklamní sdělení', 'placená spolupráce', 'sponzorováno', 'sponzorovaný obsah', 'komerčná prezentácia', 'obchodné oznámenie', 'sponzorirano', 'plaćeni oglas', 'oglas',
  'informazione pubblicitaria', 'informazione commerciale', 'messaggio promozionale', 'publi-information', 'información patrocinada', 'informação publicitária',
  'διαφήμιση', 'χορηγούμενο', 'פרסומת', 'תוכן ממומן', 'विज्ञापन', 'प्रायोजित',
  '広告', 'pr', 'スポンサー(?:ド)?', 'タイアップ', '提供', '광고', '협찬', '스폰서', '广告', '廣告', '赞助', '贊助', 'โฆษณา', 'quảng cáo', 'tài trợ',
  'إعلان', 'اعلان', 'محتوى (?:مدفوع|برعاية|ممول)', 'برعاية',
];
/** Labels that open ordinary lines too ("PR: …", "Pub: …", "Promotion: …"): a label only when alone. */
const AMBIGUOUS_LEADS = new Set(['ad', 'ads', 'pub', 'pr', 'promo', 'promotion', 'oglas', '提供']);
const AD_LABEL = new RegExp(`^[\\s\\p{P}\\p{S}]*(?:${AD_LABELS.join('|')})[\\s\\p{P}\\p{S}]*$`, 'iu');
/** A label heading a line: "Anzeige · Text", "Sponsored | …", "Reklama:". */
const AD_LABEL_LEAD = new RegExp(`^[\\s\\p{P}\\p{S}]*(?:${AD_LABELS.filter((label) => !AMBIGUOUS_LEADS.has(label)).join('|')})\\s*[:|·•—–・]`, 'iu');

/** A line naming who pays for what follows: "Presented by Acme", "Support for this show comes from Loamly", "Präsentiert von …". */
const PAID_BY = new RegExp(
  `^[\\s\\p{P}\\p{S}]*(?:${[
    'sponsored by', 'presented by', 'brought to you by', 'supported by', 'support for .{1,40} comes from', 'powered by', 'in partnership with', 'in association with',
    'präsentiert von', 'unterstützt von', 'gesponsert von', 'in kooperation mit', 'en partenariat avec', 'présenté par', 'sponsorisé par', 'en colaboración con',
    'patrocinado por', 'presentado por', 'in collaborazione con', 'sponsorizzato da', 'presentato da', 'em parceria com', 'patrocinado por', 'apresentado por',
    'mogelijk gemaakt door', 'in samenwerking met', 'gesponsord door', 'we współpracy z', 'partnerem (?:materiału|cyklu) jest', 'sponsorem', 'при поддержке',
    'спонсор', 'iş ?birliğiyle', 'sponsorluğunda', 'didukung oleh', 'disponsori oleh', 'bekerja sama dengan', 'i samarbete med', 'i samarbeid med', 'i samarbejde med',
  ].join('|')})(?![\\p{Script=Latin}\\p{Script=Cyrillic}])`,
  'iu',
);

/** A label closing a short line: "ASTE GIUDIZIARIE informazione pubblicitaria", "Acme Grid · Sponsored". */
const AD_LABEL_TAIL = new RegExp(`[\\s\\p{P}](?:${AD_LABELS.filter((label) => !AMBIGUOUS_LEADS.has(label) && label.length > 4).join('|')})[\\s\\p{P}\\p{S}]*$`, 'iu');

/** A short notice that listings are paid for: "Featured listings are paid for by estate agents", "Bezahlte Einträge". */
const PAID_PLACEMENT = phrases([
  '(?:are|is) paid for by', 'paid (?:placements?|listings?|partnerships?)', 'sponsored (?:listings?|results?|products?)', 'bezahlte (?:einträge|platzierungen?|partnerschaft)',
  'annonces? payantes?', 'emplacements? payants?', 'anuncios? (?:pagados|de pago)', 'resultados patrocinados', 'annunci a pagamento', 'inserzioni a pagamento',
  'anúncios? pagos?', 'betaalde (?:plaatsing|vermelding|advertenties?)', 'płatne (?:ogłoszeni\\p{L}*|lokowanie)', 'платн\\p{L}* размещени\\p{L}*', 'ücretli (?:ilan|içerik)',
  'iklan berbayar', 'betalda (?:annonser|placeringar)', 'placené (?:inzeráty|umístění)', '有料(?:掲載|広告)', '유료 광고',
]);
/** Longest line read as a paid-placement notice. */
const PAID_PLACEMENT_MAX_WORDS = 15;

/** Longest line read as a disclosure label. */
const LABEL_MAX_WORDS = 5;
/** Longest line read as a "presented by" line. */
const PAID_BY_MAX_WORDS = 10;

/** A short line that is an ad or paid-content label ("Anzeige", "Partner content", "広告", "Presented by Acme"). */
export function isAdLabel(text: string, words: number): boolean {
  if (words <= LABEL_MAX_WORDS && text.length <= 60 && (AD_LABEL.test(text) || AD_LABEL_LEAD.test(text) || AD_LABEL_TAIL.test(text))) return true;
  if (words <= PAID_BY_MAX_WORDS && text.length <= 100 && PAID_BY.test(text)) return true;
  return words <= PAID_PLACEMENT_MAX_WORDS && PAID_PLACEMENT.test(text);
}

/** Words of affiliate links or programmes. */
const AFFILIATE_WORD = /affiliate|affiliat|afiliad|affilié|affiliazion|partnerlink|partnersk|partnerprogramm|partnerské|партн[её]рск|ortaklık|afiliasi|アフィリエイト|제휴|쿠팡 파트너스|تابعة|amazon[- ]?(?:associate|partner)|associate[s]? program|provisionslink|werbelinks?|sternchen|\*-links?|enlaces? patrocinad|sponsored links?/iu;
/** Words of earning from what readers buy. */
const COMMISSION_WORD = /commission|provision|comisi[oó]n|commissione|comiss[aã]o|commissie|prowizj|комисси|komisyon|komisi|収益|手数料|報酬|수수료|عمولة|earn|verdien|gagn|ganamos|ganar|guadagn|ganhamos|ganhar|zarabia|verdienen|qualifying purchases|at no (?:extra )?cost|sin coste|sans frais|ohne mehrkosten|senza costi|bez dodatkowych koszt/iu;

/** Words for links, in the languages disclosures are written in. */
const LINK_WORD = /(?<![\p{L}])(?:links?|linki|linków|enlaces?|liens?|collegamenti|odkaz\p{L}*|ссылк\p{L}*|bağlantı\p{L}*|tautan|länk\p{L}*|lenke\p{L}*|hivatkozás\p{L}*)(?![\p{L}])|リンク|링크|رواب?ط/iu;
/** Words of being paid for what readers buy through a link. */
const PAID_WORD = /commission|provision|provizn|provizi|comisi[oó]n|commissione|comiss[aã]o|commissie|vergoeding|prowizj|комисси|вознагражд|komisyon|komisi|jutalék|収益|手数料|報酬|수수료|عمولة|compensat|remunera|rémunér|vergütung|ontvang|receber|recibir|recebe|percevoir|perceb|otrzymać|получ|kazan|menerima|dostat|earn|verdien/iu;

/** Either half of a disclosure, as one cheap test that most blocks fail. */
const PAID_OR_AFFILIATE = new RegExp(`${AFFILIATE_WORD.source}|${PAID_WORD.source}`, 'iu');

/** Longest text read as a disclosure: a sentence or two. */
const DISCLOSURE_MAX_WORDS = 70;

/** A sentence saying the page's links earn the publisher money ("We may earn a commission…", "Enlaces de afiliado"). */
export function isAffiliateDisclosure(text: string, words: number): boolean {
  if (words > DISCLOSURE_MAX_WORDS || !PAID_OR_AFFILIATE.test(text)) return false;
  if (AFFILIATE_WORD.test(text) && (COMMISSION_WORD.test(text) || words <= 12)) return true;
  // "Some links in this article earn us a commission", in any of the languages above.
  return LINK_WORD.test(text) && PAID_WORD.test(text);
}

/** Query parameters affiliate networks and trackers add. */
const AFFILIATE_PARAM = /[?&#;](?:tag|ref|ref_?id|aff|aff_?id|aff_?sub\d?|affiliate(?:_?id)?|partner(?:_?id)?|pid|utm_[a-z]+|click_?id|irclickid|gclid|subid\d?|sub_?id\d?|ascsubtag|awc|ranmid|raneaid|siteid|afftrack|u1|xcust|clickref|pubref|cjevent|wt_mc|campaign|cmp|coupon|voucher)=/i;
/** Hosts of shops, price comparison, affiliate networks and link redirectors. */
const SHOP_HOST = /(?:^|\.)(?:amazon|amzn|ebay|aliexpress|alibaba|walmart|bestbuy|target|newegg|etsy|mediamarkt|saturn|otto|zalando|fnac|cdiscount|darty|boulanger|elcorteingles|pccomponentes|allegro|ceneo|empik|rakuten|yodobashi|coupang|gmarket|11st|trendyol|hepsiburada|n11|tokopedia|shopee|lazada|bukalapak|ozon|wildberries|yandex-market|noon|jumia|bol|coolblue|idealo|pricerunner|kelkoo|geizhals|billiger|awin1|awin|redirectingat|skimresources|skimlinks|shareasale|linksynergy|prf|tidd|anrdoezrs|jdoqocy|tkqlhce|dpbolvw|kqzyfj|partnerize|pntra|sovrn|viglink|tradedoubler|adtraction|webgains|zanox|doubleclick|googleadservices|adservice|taboola|outbrain|bet365|betway|bwin|unibet|williamhill|paddypower|betfair|pinnacle|1xbet|codere|sisal|snai|lottomatica|betclic|winamax)\./i;
/** Hosts and paths of redirectors: go.example.com, example.com/out/…, /recommends/. */
const REDIRECT_HOST = /^(?:go|click|clk|track|trk|tracking|redirect|redir|r|out|aff|affiliate|partners?|link|links|shop|deals?)\./i;
const REDIRECT_PATH = /\/(?:go|out|redirect|redir|aff|affiliate|recommends|visit|goto|clickout|outlink|deal)\//i;

/** What a block's links say: declared sponsorship, affiliate tracking, shop hosts, leaving the site. */
export interface LinkEvidence {
  /** Links with `rel` holding `sponsored`. */
  sponsored: number;
  /** Links with `rel` holding `nofollow` or `ugc` (and not `sponsored`). */
  nofollow: number;
  /** Links carrying affiliate or tracking parameters, or going through a redirector. */
  affiliate: number;
  /** Links to a shop, a price comparison site, an ad network or a bookmaker. */
  shop: number;
  /** Links to another site. */
  external: number;
  /** Links whose text is a call to action. */
  cta: number;
  links: number;
}

function hostOfHref(href: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#:]+)/i.exec(href);
  return match ? match[1].toLowerCase() : '';
}

export function linkEvidence(links: readonly BlockLink[] | undefined): LinkEvidence {
  const evidence: LinkEvidence = { sponsored: 0, nofollow: 0, affiliate: 0, shop: 0, external: 0, cta: 0, links: 0 };
  if (!links) return evidence;
  for (const link of links) {
    evidence.links++;
    const rel = ` ${link.rel} `;
    if (rel.includes(' sponsored ')) evidence.sponsored++;
    else if (rel.includes(' nofollow ') || rel.includes(' ugc ')) evidence.nofollow++;
    const host = hostOfHref(link.href);
    if (link.external) evidence.external++;
    if (host && SHOP_HOST.test(`${host}.`)) evidence.shop++;
    if (link.external && (AFFILIATE_PARAM.test(link.href) || REDIRECT_HOST.test(host) || REDIRECT_PATH.test(link.href))) evidence.affiliate++;
    if (isCallToAction(link.text)) evidence.cta++;
  }
  return evidence;
}

/** Words from which a block with a few links reads as prose that links, not as a box that sells. */
const PROSE_WORDS = 25;

/** Kinds of selling evidence one block shows, as short names (`money`, `cta`, `sponsored_link`, …). */
export function blockEvidence(block: Block): string[] {
  const kinds: string[] = [];
  const text = block.text;
  const money = moneyCount(text);
  if (money > 0) kinds.push('money');
  if (money >= 2 && block.wordCount <= 30) kinds.push('money_pair');
  if (isDiscount(text)) kinds.push('discount');
  const links = linkEvidence(block.links);
  // A shop link inside a sentence of prose is the writer's reference, not a box: learned apart.
  const inProse = block.wordCount > PROSE_WORDS && block.linkWordCount < block.wordCount / 2;
  const suffix = inProse ? '.prose' : '';
  if (links.sponsored > 0) kinds.push(`sponsored_link${suffix}`);
  if (links.affiliate > 0) kinds.push(`affiliate_link${suffix}`);
  if (links.shop > 0) kinds.push(`shop_link${suffix}`);
  // Most of the block's links leave the site: a box of offers, not the site's own navigation.
  if (links.links > 0 && links.external * 2 > links.links) kinds.push(`outbound${suffix}`);
  const buttonCta = (block.buttons ?? []).some(isCallToAction);
  if (links.cta > 0 || buttonCta || (block.wordCount <= CTA_MAX_WORDS && isCallToAction(text))) kinds.push(`cta${suffix}`);
  if (hasRating(text)) kinds.push('rating');
  if (hasOdds(text, block.wordCount)) kinds.push('odds');
  if (isGamblingNotice(text)) kinds.push('gambling');
  if (hasCodeShape(text) && namesCode(text)) kinds.push('coupon');
  if (hasOfferTerms(text) && block.wordCount <= 40) kinds.push('terms');
  if (isAdLabel(text, block.wordCount)) kinds.push('ad_label');
  if (isAffiliateDisclosure(text, block.wordCount)) kinds.push('disclosure');
  return kinds;
}

/** Evidence that, found anywhere in a small box, says the box sells (money alone does not: tables and news quote prices). */
export const STRONG_EVIDENCE = new Set(['sponsored_link', 'affiliate_link', 'cta', 'coupon', 'odds', 'gambling', 'ad_label']);
