import { createRequire } from 'node:module';

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
const stemCache = new Map<string, string>();
/** Stem cache bound: common words repeat across pages, rare ones are cheap to recompute. */
const STEM_CACHE_LIMIT = 200_000;

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
  const tokens: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{M}]+|\p{N}+/gu)) {
    const word = match[0];
    if (word.length > MAX_TOKEN_LENGTH) continue;
    if (/^\p{N}/u.test(word)) {
      tokens.push(`#${Math.min(word.length, 4)}`);
      continue;
    }
    if (word.length < 2 || analyzer.stopwords.has(word)) continue;
    tokens.push(stemWord(analyzer, language, word));
  }
  return tokens;
}

function stemWord(analyzer: Analyzer, language: string, word: string): string {
  const key = `${language}:${word}`;
  let stem = stemCache.get(key);
  if (stem === undefined) {
    stem = analyzer.stem(word);
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(key, stem);
  }
  return stem;
}
