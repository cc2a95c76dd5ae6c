import { createRequire } from 'node:module';
import { classOf, isSurrogate, LETTER_OR_MARK, NUMBER } from './char-classes.js';

// natural is imported by subpath: its index loads database clients and prints .env banners.
const require = createRequire(import.meta.url);

interface Stemmer {
  stem(word: string): string;
}

/** Snowball/Porter stemmers natural ships, by ISO 639-1 language code. */
const STEMMER_MODULES: Record<string, string> = {
  en: 'natural/lib/natural/stemmers/porter_stemmer.js',
  de: 'natural/lib/natural/stemmers/porter_stemmer_de.js',
  fr: 'natural/lib/natural/stemmers/porter_stemmer_fr.js',
  es: 'natural/lib/natural/stemmers/porter_stemmer_es.js',
  it: 'natural/lib/natural/stemmers/porter_stemmer_it.js',
  nl: 'natural/lib/natural/stemmers/porter_stemmer_nl.js',
  pt: 'natural/lib/natural/stemmers/porter_stemmer_pt.js',
  ru: 'natural/lib/natural/stemmers/porter_stemmer_ru.js',
  sv: 'natural/lib/natural/stemmers/porter_stemmer_sv.js',
  no: 'natural/lib/natural/stemmers/porter_stemmer_no.js',
};

/** Stop-word lists natural ships, by language code. */
const STOPWORD_MODULES: Record<string, string> = {
  en: 'natural/lib/natural/util/stopwords.js',
  fr: 'natural/lib/natural/util/stopwords_fr.js',
  es: 'natural/lib/natural/util/stopwords_es.js',
  it: 'natural/lib/natural/util/stopwords_it.js',
  nl: 'natural/lib/natural/util/stopwords_nl.js',
  pt: 'natural/lib/natural/util/stopwords_pt.js',
  ru: 'natural/lib/natural/util/stopwords_ru.js',
  sv: 'natural/lib/natural/util/stopwords_sv.js',
  no: 'natural/lib/natural/util/stopwords_no.js',
};

/** A handful of German function words: natural has a German stemmer but no German list. */
const GERMAN_STOPWORDS = [
  'der', 'die', 'das', 'und', 'oder', 'in', 'im', 'zu', 'zum', 'zur', 'den', 'dem', 'des', 'ein', 'eine',
  'einer', 'eines', 'einem', 'einen', 'ist', 'sind', 'war', 'mit', 'von', 'auf', 'für', 'an', 'am', 'es',
  'sie', 'er', 'wir', 'ich', 'nicht', 'auch', 'als', 'wie', 'bei', 'aus', 'nach', 'sich', 'dass', 'hat',
];

/** Longest token kept; longer runs are URLs, hashes or base64. */
const MAX_TOKEN_LENGTH = 24;

interface Analyzer {
  stem(word: string): string;
  stopwords: Set<string>;
}

const analyzers = new Map<string, Analyzer>();
/** Stems by language, then word. */
const stemCaches = new Map<string, Map<string, string>>();
let cachedStems = 0;
/** Stem cache bound: common words repeat across pages, rare ones are cheap to recompute. */
const STEM_CACHE_LIMIT = 200_000;

/** A letter run (letters and combining marks) or a digit run, as textTokens reads them. */
const TOKEN = /[\p{L}\p{M}]+|\p{N}+/gu;
const STARTS_WITH_NUMBER = /^\p{N}/u;

/** Language code from a `lang` value like `en-GB`; unknown or missing languages get no stemming. */
export function languageOf(lang: string | null | undefined): string {
  const code = (lang ?? '').trim().toLowerCase().slice(0, 2);
  return code || 'en';
}

function analyzerFor(language: string): Analyzer {
  let analyzer = analyzers.get(language);
  if (!analyzer) {
    const stemmerPath = STEMMER_MODULES[language];
    const stemmer = stemmerPath ? (require(stemmerPath) as Stemmer) : null;
    const stopwordPath = STOPWORD_MODULES[language];
    const words: string[] = stopwordPath
      ? (require(stopwordPath) as { words: string[] }).words
      : language === 'de'
        ? GERMAN_STOPWORDS
        : [];
    analyzer = {
      stem: stemmer ? (word) => stemmer.stem(word) : (word) => word,
      stopwords: new Set(words),
    };
    analyzers.set(language, analyzer);
  }
  return analyzer;
}

/**
 * Text to stemmed word tokens: Unicode letter runs, lowercased, stop words dropped, stemmed with
 * the page language's stemmer. Numbers become shape tokens (`#` per digit, capped) so prices and
 * years count without growing the vocabulary.
 */
export function textTokens(text: string, language: string): string[] {
  const analyzer = analyzerFor(language);
  const stems = stemCacheFor(language);
  const tokens: string[] = [];
  const lower = text.toLowerCase();
  const words = tokenRuns(lower) ?? lower.match(TOKEN);
  if (words === null) return tokens;
  for (const word of words) {
    if (word.length > MAX_TOKEN_LENGTH) continue;
    if (isNumberRun(word)) {
      tokens.push(`#${Math.min(word.length, 4)}`);
      continue;
    }
    if (word.length < 2 || analyzer.stopwords.has(word)) continue;
    tokens.push(stemWord(analyzer, stems, word));
  }
  return tokens;
}

/**
 * The runs TOKEN matches, found with the character table; null when the text holds an astral
 * character (then the regex, which reads code points, does it).
 */
function tokenRuns(text: string): string[] | null {
  const runs: string[] = [];
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (isSurrogate(code)) return null;
    const bits = classOf(code);
    // Letters and marks first, as in TOKEN's first alternative; the classes are disjoint.
    const kind = bits & LETTER_OR_MARK ? LETTER_OR_MARK : bits & NUMBER ? NUMBER : 0;
    if (kind === 0) {
      i++;
      continue;
    }
    let end = i + 1;
    for (; end < text.length; end++) {
      const next = text.charCodeAt(end);
      if (isSurrogate(next)) return null;
      if ((classOf(next) & kind) === 0) break;
    }
    runs.push(text.slice(i, end));
    i = end;
  }
  return runs;
}

/** A token is all letters or all digits, so its first character says which. */
function isNumberRun(word: string): boolean {
  const first = word.charCodeAt(0);
  if (first < 128) return first >= 48 && first <= 57;
  return STARTS_WITH_NUMBER.test(word);
}

function stemCacheFor(language: string): Map<string, string> {
  let stems = stemCaches.get(language);
  if (!stems) {
    stems = new Map();
    stemCaches.set(language, stems);
  }
  return stems;
}

function stemWord(analyzer: Analyzer, stems: Map<string, string>, word: string): string {
  let stem = stems.get(word);
  if (stem === undefined) {
    stem = analyzer.stem(word);
    if (cachedStems >= STEM_CACHE_LIMIT) {
      for (const cache of stemCaches.values()) cache.clear();
      cachedStems = 0;
    }
    stems.set(word, stem);
    cachedStems++;
  }
  return stem;
}
