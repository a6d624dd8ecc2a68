import type { Opportunity } from './opportunity';

/**
 * Text search over a request's title, description, branch and skills, the way people expect it: every
 * word typed must begin a word of the request, in any case and with or without accents.
 */

const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

function wordsOf(text: string): string[] {
  return fold(text.normalize('NFKC')).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The words a record is found by (title, description, branch, skills), folded as searches are. */
export function recordWords(o: Opportunity): string[] {
  return wordsOf([o.title, o.shortDescription, o.client.branch, ...o.requiredSkills].join(' '));
}

/** The words a search looks for: at most 10, each at most 50 characters. */
export function searchWords(text: string): string[] {
  return wordsOf(text)
    .slice(0, 10)
    .map((w) => w.slice(0, 50));
}

export function matchesText(o: Opportunity, text: string): boolean {
  const wanted = searchWords(text);
  if (wanted.length === 0) return false;
  const have = recordWords(o);
  return wanted.every((w) => have.some((h) => h.startsWith(w)));
}
