/**
 * Every button is an Action.Execute (Universal Actions: the card is replaced in place) with an
 * Action.Submit fallback carrying the same verb and data, for clients that lack Universal Actions;
 * the bot routes both to the same handler. Built here once so every card's buttons behave alike.
 */

export interface ActionSpec {
  readonly title: string;
  readonly verb: string;
  /** Identifiers only (a draft id, a step, a locale): the handler reads everything else from the store. */
  readonly data?: Readonly<Record<string, string>>;
  readonly style?: 'positive' | 'destructive';
  /** `auto` sends the card's inputs with the click; `none` for buttons that must not (discard, help). */
  readonly inputs?: 'auto' | 'none';
}

export type CardAction = Readonly<Record<string, unknown>>;

export function cardAction(spec: ActionSpec): CardAction {
  const data = { ...spec.data, verb: spec.verb };
  const associatedInputs = spec.inputs ?? 'none';
  const style = spec.style ? { style: spec.style } : {};
  return {
    type: 'Action.Execute',
    title: spec.title,
    verb: spec.verb,
    data,
    associatedInputs,
    ...style,
    fallback: { type: 'Action.Submit', title: spec.title, data, associatedInputs, ...style },
  };
}
