import type { z } from 'zod';
import type { MessageKey } from '../i18n';
import type { ActionHandler, Deps, Handler, Reply, TurnRequest } from './turn';

/**
 * The route table: command words and card verbs map to small handlers, as in Bolt's
 * `app.command(...)` / `app.action(...)`. Adding a feature adds a line, not a branch.
 */

export interface CommandRoute {
  readonly name: string;
  /** The word shown in help, per language; both are always accepted. */
  readonly words: { readonly en: string; readonly fr: string };
  readonly aliases: readonly string[];
  readonly description: MessageKey;
  readonly handler: Handler;
}

/** A button's route: the shape of its card data, checked before its handler sees it. */
export interface ActionRoute {
  readonly verb: string;
  /** Whether card data is of the shape the handler takes. */
  accepts(data: unknown): boolean;
  /** Runs the handler on the checked data; undefined when the data is not of its shape. */
  run(req: TurnRequest, deps: Deps): Promise<Reply> | undefined;
  /** What to answer to data of another shape (a forged or outdated button), if not the general notice. */
  readonly unusable?: Handler;
}

export interface CommandMatch {
  readonly route: CommandRoute;
  readonly args: string;
}

/** Lower case, accents and surrounding punctuation removed: "Aidé !" and "aide" are the same word. */
export function normalizeWord(word: string): string {
  return word
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}

/** Edit distance counting a swap of two neighbouring letters as one typo ("hlep" → "help"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Longest word worth a suggestion: the longest command word with room for a few typos. */
const SUGGEST_MAX = 24;

export class Router {
  private readonly commands: CommandRoute[] = [];
  private readonly byWord = new Map<string, CommandRoute>();
  private readonly verbs = new Map<string, ActionRoute>();
  private readonly patterns: { readonly pattern: RegExp; readonly route: CommandRoute }[] = [];

  command(
    name: string,
    words: { en: string; fr: string },
    description: MessageKey,
    handler: Handler,
    aliases: readonly string[] = [],
  ): this {
    const route: CommandRoute = { name, words, aliases, description, handler };
    for (const word of [words.en, words.fr, ...aliases].map(normalizeWord)) {
      if (this.byWord.has(word)) throw new Error(`command word "${word}" is routed twice`);
      this.byWord.set(word, route);
    }
    this.commands.push(route);
    return this;
  }

  /** A message that is only a value of this shape (a reference, say) runs that command with it. */
  pattern(pattern: RegExp, command: string): this {
    const route = this.commands.find((c) => c.name === command);
    if (!route) throw new Error(`no command "${command}" to route ${pattern} to`);
    this.patterns.push({ pattern, route });
    return this;
  }

  /** A button: its verb, the zod schema of its card data, and the handler that receives that data. */
  action<S extends z.ZodType>(
    verb: string,
    schema: S,
    handler: ActionHandler<z.output<S>>,
    unusable?: Handler,
  ): this {
    if (this.verbs.has(verb)) throw new Error(`verb "${verb}" is routed twice`);
    this.verbs.set(verb, {
      verb,
      accepts: (data) => schema.safeParse(data).success,
      run: (req, deps) => {
        const parsed = schema.safeParse(req.data);
        return parsed.success ? handler(req, deps, parsed.data) : undefined;
      },
      ...(unusable ? { unusable } : {}),
    });
    return this;
  }

  /** Finds the command a message starts with: one word, or two when a command is two words long. */
  matchCommand(text: string): CommandMatch | undefined {
    const words = text.trim().split(/\s+/).filter(Boolean);
    for (const n of [2, 1]) {
      if (words.length < n) continue;
      const route = this.byWord.get(words.slice(0, n).map(normalizeWord).join(' '));
      if (route) return { route, args: words.slice(n).join(' ') };
    }
    const whole = text.trim();
    const byPattern = this.patterns.find((p) => p.pattern.test(whole));
    return byPattern ? { route: byPattern.route, args: whole } : undefined;
  }

  matchVerb(verb: string): ActionRoute | undefined {
    return this.verbs.get(verb);
  }

  /**
   * The closest command word to a mistyped one, if any is near enough to be a likely typo. Only short words
   * are compared, and only with words of a near length, so the cost never grows with what was typed.
   */
  suggest(text: string): string | undefined {
    const first = text.trim().split(/\s+/, 1)[0] ?? '';
    if (first.length > SUGGEST_MAX) return undefined;
    const word = normalizeWord(first);
    if (word.length < 2) return undefined;
    let best: { word: string; d: number } | undefined;
    for (const candidate of this.byWord.keys()) {
      // Edit distance is at least the difference in length: such words cannot be near enough.
      if (Math.abs(candidate.length - word.length) > Math.max(1, Math.floor(candidate.length / 3))) continue;
      const d = distance(word, candidate);
      if (d <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || d < best.d))
        best = { word: candidate, d };
    }
    return best?.word;
  }

  listCommands(): readonly CommandRoute[] {
    return this.commands;
  }

  listVerbs(): readonly string[] {
    return [...this.verbs.keys()];
  }
}
