/**
 * Class names that say nothing about what an element is: generated hashes (`css-1q2w3e`,
 * `sc-bdVaJa`, the `__x7Yz` tail of a CSS-modules name) and utility classes (`px-4`,
 * `md:flex`, `bg-gray-100`). Their letter runs would otherwise read as words: `css-1ad4xz`
 * splits into `ad`, a promo class cue, and a template's hash would become a feature only that
 * template has. They are left out before class words and cues are read; readable names and
 * the readable head of a CSS-modules name (`ProductCard_box` of `ProductCard_box__4kPz2`) stay.
 */

/** Prefixes CSS-in-JS libraries put before a generated name (emotion, styled-components, styled-jsx, svelte): always generated. */
const GENERATED = /^(?:css|sc|jsx|svelte|emotion)-[a-z0-9_-]+$/i;
/** Prefixes that come before a hash in some tools and before a word in others. */
const GENERATED_PREFIX = /^(?:styled|tw|e\d+)-[a-z0-9_-]*$/i;

/** Utility-class prefixes (Tailwind and its kin) whose value is a size, a colour or a keyword. */
const UTILITY_PREFIX =
  '-?(?:p|px|py|pt|pb|pl|pr|ps|pe|m|mx|my|mt|mb|ml|mr|ms|me|w|h|size|min-w|max-w|min-h|max-h|gap|gap-x|gap-y|space-x|space-y|' +
  'text|bg|border|border-[trblxy]|rounded|rounded-[trbl]{1,2}|shadow|font|leading|tracking|z|top|left|right|bottom|inset|inset-[xy]|' +
  'grid-cols|grid-rows|col-span|row-span|col-start|col-end|flex|items|justify|justify-items|justify-self|content|self|place-items|' +
  'place-content|order|opacity|ring|ring-offset|divide|divide-[xy]|line-clamp|aspect|object|overflow|overflow-[xy]|from|to|via|' +
  'translate-[xy]|scale|rotate|duration|delay|ease|decoration|underline-offset|basis|grow|shrink|cursor|select|whitespace|break|' +
  'fill|stroke|outline|blur|backdrop-blur|list|align|columns|tabular|transition|animate|fill|accent|caret|indent)';

/** Values utility classes take: numbers, fractions, sizes, palette colours and layout keywords. */
const UTILITY_VALUE =
  '(?:\\d+(?:\\.\\d+)?|\\d+/\\d+|px|auto|full|screen|min|max|fit|none|xs|sm|base|md|lg|xl|\\dxl|' +
  '[a-z]+-\\d{2,3}|white|black|transparent|current|inherit|center|start|end|between|around|evenly|stretch|baseline|' +
  'col|row|col-reverse|row-reverse|wrap|nowrap|bold|semibold|medium|normal|light|thin|extrabold|extralight|tight|snug|' +
  'relaxed|loose|wide|wider|widest|left|right|justify|hidden|visible|scroll|clip|cover|contain|disc|decimal|inside|' +
  'outside|all|colors|opacity|transform|pointer|default|top|bottom|middle|square|video|lg|sans|serif|mono|words|' +
  'balance|pretty|italic|uppercase|lowercase)';

const UTILITY = new RegExp(`^${UTILITY_PREFIX}(?:-${UTILITY_VALUE})?$`, 'i');

/** Utility classes that are one bare word. */
const BARE_UTILITIES = new Set([
  'flex', 'grid', 'block', 'inline', 'inline-block', 'inline-flex', 'inline-grid', 'hidden', 'contents', 'relative',
  'absolute', 'fixed', 'sticky', 'static', 'container', 'truncate', 'italic', 'uppercase', 'lowercase', 'capitalize',
  'underline', 'no-underline', 'antialiased', 'sr-only', 'not-sr-only', 'visible', 'invisible', 'grow', 'shrink',
  'transition', 'transform', 'rounded', 'shadow', 'border', 'isolate', 'prose', 'clearfix', 'row', 'col',
]);

/** A part of a name that reads as a hash: letters mixed with digits, or camelCase pieces of one or two letters. */
function isHashPart(part: string): boolean {
  if (part.length < 4) return false;
  const hasDigit = /\d/.test(part);
  const hasLetter = /[a-z]/i.test(part);
  if (hasDigit && hasLetter) {
    // "h2", "col12", "top10", "2xl": a word and a number, one after the other, is readable.
    return !/^[a-z]+\d+$|^\d+[a-z]+$/i.test(part);
  }
  if (!hasLetter) return false;
  // "dlfnbm", "xkcdq": five letters or more without a vowel are no word.
  if (part.length >= 5 && !/[aeiouy]/i.test(part)) return true;
  // "bdVaJa", "kQzXp": case flips every one or two letters.
  const pieces = part.split(/(?=[A-Z])/);
  return pieces.length >= 3 && pieces.every((piece) => piece.length <= 2);
}

/** The readable part of one class name, or '' when none is. */
export function readableClassName(name: string): string {
  if (!name) return '';
  if (/[:[\]/!@.#%&()=]/.test(name)) return '';
  if (BARE_UTILITIES.has(name.toLowerCase()) || UTILITY.test(name)) return '';
  if (GENERATED.test(name)) return '';
  if (GENERATED_PREFIX.test(name) && name.split(/[-_]/).slice(1).some((part) => isHashPart(part) || /\d/.test(part) || /[A-Z]/.test(part))) return '';
  // CSS modules: `Block_element__hash`, `styles-module__card___x7Yz`; drop hash-like parts anywhere.
  const parts = name.split(/(_+|-+)/);
  const kept: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i];
    if (!part || isHashPart(part)) continue;
    if (kept.length > 0) kept.push(parts[i - 1]);
    kept.push(part);
  }
  return kept.join('');
}

/** A `class id` value with hashed and utility names left out (see the file comment). */
export function readableClassNames(raw: string): string {
  if (!raw.trim()) return '';
  const names: string[] = [];
  for (const name of raw.split(/\s+/)) {
    const readable = readableClassName(name);
    if (readable) names.push(readable);
  }
  return names.join(' ');
}
