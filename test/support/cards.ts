import { textOf } from './teams';

/** Reading cards as a person would: their inputs, their buttons, the error under a field. */

export type Card = Record<string, unknown>;

export function find(
  node: unknown,
  pred: (n: Record<string, unknown>) => boolean,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (pred(o)) out.push(o);
      Object.values(o).forEach(walk);
    }
  };
  walk(node);
  return out;
}

export const inputs = (card: Card) =>
  Object.fromEntries(
    find(card, (n) => typeof n.type === 'string' && n.type.startsWith('Input.')).map((n) => [n.id, n.value]),
  );
export const buttons = (card: Card) =>
  find(card, (n) => n.type === 'Action.Execute').map((n) => ({ title: n.title, verb: n.verb, data: n.data }));
export const button = (card: Card, verb: string) => {
  const b = buttons(card).find((x) => x.verb === verb);
  if (!b) throw new Error(`no ${verb} button on ${textOf(card)}`);
  return b.data as Record<string, string> & { draftId: string };
};
/** The error shown right under an input, if any. */
export function errorUnder(card: Card, id: string): string | undefined {
  const container = find(
    card,
    (n) => Array.isArray(n.items) && (n.items as Card[]).some((i) => i.id === id),
  )[0];
  const items = (container?.items ?? []) as Card[];
  const text = items.find((i) => i.type === 'TextBlock' && i.color === 'Attention')?.text as
    string | undefined;
  // The card says it is a problem in words ("Problem: …"); the tests compare what follows.
  return text?.replace(/^(Problem: |Problème : )/, '');
}
