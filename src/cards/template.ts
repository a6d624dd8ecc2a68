import debrief from './debrief.json';
import applications from './applications.json';
import decision from './decision.json';
import details from './details.json';
import drafts from './drafts.json';
import evaluation from './evaluation.json';
import help from './help.json';
import history from './history.json';
import intake from './intake.json';
import list from './list.json';
import notice from './notice.json';
import opportunity from './opportunity.json';
import question from './question.json';
import status from './status.json';
import summary from './summary.json';
import welcome from './welcome.json';

/**
 * Cards are JSON templates in this folder, filled by typed builders. Data is bound, never spliced into
 * the template, so text a person typed is shown as text and can never become card structure.
 */

export type Card = Readonly<Record<string, unknown>>;

export const TEMPLATES = {
  applications,
  debrief,
  decision,
  details,
  drafts,
  evaluation,
  help,
  history,
  intake,
  list,
  summary,
  notice,
  opportunity,
  question,
  status,
  welcome,
} as const;
export type TemplateName = keyof typeof TEMPLATES;

/**
 * What a template expression reads: the current data (`$data`, which an object's `$data` moves into an
 * item when it repeats it) and the data the card was given (`$root`).
 */
interface Scope {
  readonly root: unknown;
  readonly data: unknown;
}

/** A compiled part of a template: its expansion in a scope, `null` when dropped, `undefined` when absent. */
type Expansion = (scope: Scope) => unknown;
/** An expression; `substitute` shows a missing value as the expression itself, as the card engine does. */
type Evaluation = (scope: Scope, substitute: boolean) => unknown;

const RESERVED = new Set(['$data', '$when', '$root', '$index', '$host', '$_acTemplateVersion']);
const PATH = /^\$?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;

function pathOf(text: string): Evaluation {
  const steps = text.split('.');
  const [head, ...rest] = steps;
  // A path starts from `$root` when it names it, otherwise from the current data (`$data` named or not).
  const fromRoot = head === '$root';
  const walk = fromRoot || head === '$data' ? rest : steps;
  return (scope, substitute) => {
    let value: unknown = fromRoot ? scope.root : scope.data;
    for (const step of walk) {
      value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[step];
    }
    return value === null || value === undefined ? (substitute ? `\${${text}}` : undefined) : value;
  };
}

/** One operand: a path, a quoted string, a number, or `count(path)`. */
function operandOf(text: string): Evaluation {
  const t = text.trim();
  const quoted = /^'([^']*)'$/.exec(t);
  if (quoted) {
    const value = quoted[1];
    return () => value;
  }
  if (/^-?\d+(?:\.\d+)?$/.test(t)) {
    const value = Number(t);
    return () => value;
  }
  const counted = /^count\((.+)\)$/.exec(t);
  if (counted?.[1] && PATH.test(counted[1].trim())) {
    const of = pathOf(counted[1].trim());
    return (scope, substitute) => {
      const value = of(scope, substitute);
      return Array.isArray(value) || typeof value === 'string' ? value.length : 0;
    };
  }
  if (PATH.test(t)) return pathOf(t);
  throw new Error(`unsupported card template expression: ${text}`);
}

/** The engine's truth for `if`: a boolean is itself, null and undefined are false, anything else true. */
const isTrue = (value: unknown) =>
  typeof value === 'boolean' ? value : value !== null && value !== undefined;

/**
 * The expressions the templates use, compiled to functions: paths, `==`, `!=` and `>` between operands,
 * `count(path)` and `if(operand, 'a', 'b')`. Anything else fails when the template is compiled, so a
 * template cannot quietly mean something else here than in the Adaptive Cards engine.
 */
function expressionOf(text: string): Evaluation {
  const t = text.trim();
  const branch = /^if\(([^,]+),([^,]+),([^,]+)\)$/.exec(t);
  if (branch?.[1] && branch[2] && branch[3]) {
    const [test, yes, no] = [operandOf(branch[1]), operandOf(branch[2]), operandOf(branch[3])];
    return (scope, substitute) => (isTrue(test(scope, false)) ? yes : no)(scope, substitute);
  }
  const compared = /^(.+?)\s*(==|!=|>)\s*(.+)$/.exec(t);
  if (compared?.[1] && compared[2] && compared[3]) {
    const [left, right] = [operandOf(compared[1]), operandOf(compared[3])];
    const op = compared[2];
    return (scope, substitute) => {
      const [a, b] = [left(scope, substitute), right(scope, substitute)];
      if (op === '>') return typeof a === 'number' && typeof b === 'number' && a > b;
      return op === '==' ? a === b : a !== b;
    };
  }
  return operandOf(t);
}

/** A string: as it is, one expression's value (of any type), or the text with each expression's value in. */
function stringOf(text: string): Expansion {
  if (!text.includes('${')) return () => text;
  const parts: (string | Evaluation)[] = [];
  let rest = text;
  for (let at = rest.indexOf('${'); at >= 0; at = rest.indexOf('${')) {
    const end = rest.indexOf('}', at);
    if (end < 0) throw new Error(`unclosed card template expression in: ${text}`);
    if (at > 0) parts.push(rest.slice(0, at));
    parts.push(expressionOf(rest.slice(at + 2, end)));
    rest = rest.slice(end + 1);
  }
  if (rest) parts.push(rest);
  const [only] = parts;
  if (parts.length === 1 && typeof only === 'function') return (scope) => only(scope, true);
  return (scope) => parts.map((p) => (typeof p === 'string' ? p : String(p(scope, true) as string))).join('');
}

function objectOf(node: Readonly<Record<string, unknown>>): Expansion {
  const fields = Object.keys(node)
    .filter((key) => !RESERVED.has(key))
    .map((key) => [key, compile(node[key])] as const);
  const data = node.$data;
  const repeat: Evaluation | undefined =
    typeof data === 'string' && data.includes('${') ? stringOf(data) : undefined;
  const when = node.$when;
  let test: ((scope: Scope) => boolean) | undefined;
  if (typeof when === 'string' && when.includes('${')) {
    const evaluate = expressionOfWhole(when);
    test = (scope) => evaluate(scope, false) === true;
  } else if (when) {
    // A `$when` that is no expression drops its object, as the engine does.
    test = () => false;
  }
  const single = (scope: Scope) => {
    if (test && !test(scope)) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, expand] of fields) {
      const value = expand(scope);
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
  return (scope) => {
    const bound = repeat ? repeat(scope, true) : data;
    const items = Array.isArray(bound) ? (bound as unknown[]) : [bound];
    const result: unknown[] = [];
    for (const item of items) {
      const out = single(item === undefined ? scope : { root: scope.root, data: item });
      if (out !== undefined) result.push(out);
    }
    return result.length === 0 ? null : result.length === 1 ? result[0] : result;
  };
}

/** A `$when`: one expression, evaluated without substitution. */
function expressionOfWhole(text: string): Evaluation {
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (!whole?.[1]) throw new Error(`a $when must be one expression: ${text}`);
  return expressionOf(whole[1]);
}

function compile(node: unknown): Expansion {
  if (typeof node === 'string') return stringOf(node);
  if (Array.isArray(node)) {
    const items = node.map(compile);
    return (scope) => {
      const out: unknown[] = [];
      for (const item of items) {
        const value = item(scope);
        if (value === null) continue;
        if (Array.isArray(value)) out.push(...(value as unknown[]));
        else out.push(value);
      }
      return out;
    };
  }
  if (node !== null && typeof node === 'object') return objectOf(node as Record<string, unknown>);
  return () => node;
}

/**
 * Each template compiled once into functions that bind data (the Adaptive Cards templating language's
 * rules, for the expressions the templates use), instead of walking the JSON and evaluating its
 * expressions through the general engine on every card. The tests expand every sample card both ways and
 * compare.
 */
let watcher: ((name: TemplateName, data: object, card: Card) => void) | undefined;

/** Sees every expansion: how the tests check the compiled templates against the Adaptive Cards engine. */
export function watchExpansions(watch: typeof watcher): void {
  watcher = watch;
}

/** A template compiled: binds data as the Adaptive Cards engine would (`{ $root: data }`). */
export function compileTemplate(template: unknown): (data: object) => unknown {
  const expansion = compile(template);
  return (data) => expansion({ root: data, data });
}

const compiled = new Map<TemplateName, (data: object) => unknown>();

export function expand(name: TemplateName, data: object): Card {
  let template = compiled.get(name);
  if (!template) {
    template = compileTemplate(TEMPLATES[name]);
    compiled.set(name, template);
  }
  const card = template(data) as Card;
  watcher?.(name, data, card);
  return card;
}
