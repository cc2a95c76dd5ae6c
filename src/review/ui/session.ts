/**
 * Who is reviewing, kept in the browser: the API token for this tab only (sessionStorage, gone
 * when the tab closes) and the reviewer's name across visits (localStorage; it is not a secret).
 */

const TOKEN_KEY = 'winnow.review.token';
const REVIEWER_KEY = 'winnow.review.reviewer';

/** Longest reviewer name the server accepts. */
export const MAX_REVIEWER_LENGTH = 64;

export function loadToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function loadReviewer(): string | null {
  return localStorage.getItem(REVIEWER_KEY);
}

export function saveReviewer(name: string): void {
  localStorage.setItem(REVIEWER_KEY, name);
}

/** The name trimmed, or an error message saying what is wrong with it. */
export function checkReviewer(name: string): { name: string } | { error: string } {
  const trimmed = name.trim();
  if (trimmed === '') return { error: 'Enter your name: corrections are stored with it.' };
  if (trimmed.length > MAX_REVIEWER_LENGTH) return { error: `A name has at most ${MAX_REVIEWER_LENGTH} characters.` };
  return { name: trimmed };
}
