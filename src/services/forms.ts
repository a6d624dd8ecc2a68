import { z } from 'zod';
import type { Problem } from './rules';

/**
 * Reading a form a stranger filled on the public site: every field is text, trimmed, bounded and
 * checked; each field's first problem is named by a code the edge translates, and what was typed is
 * returned as it was (cut to the field's limit) so the form can be shown again without losing it.
 */

export interface FieldRule {
  readonly max: number;
  readonly kind: 'text' | 'email' | 'choice';
  /** For a choice: the values it takes. */
  readonly choices?: readonly string[];
  /** May be left empty (a question a person may decline to answer). */
  readonly optional?: boolean;
}

export type FormRules = Readonly<Record<string, FieldRule>>;

export type FormValues<R extends FormRules> = { readonly [K in keyof R]: string };

export type FormReading<R extends FormRules> =
  | { readonly ok: true; readonly values: FormValues<R> }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly kept: FormValues<R> };

const email = z.email();

function problemOf(value: string, rule: FieldRule): Problem['code'] | undefined {
  if (value === '') return rule.optional ? undefined : 'required';
  if (value.length > rule.max) return 'too_long';
  if (rule.kind === 'email' && !email.safeParse(value).success) return 'invalid_email';
  if (rule.kind === 'choice' && !rule.choices?.includes(value)) return 'required';
  return undefined;
}

/** Reads `input` (a parsed form body: anything) by `rules`; a field sent twice or not as text is refused. */
export function readForm<R extends FormRules>(
  rules: R,
  input: Readonly<Record<string, unknown>>,
): FormReading<R> {
  const values: Record<string, string> = {};
  const kept: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const [field, rule] of Object.entries(rules)) {
    const raw = input[field];
    const text = typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n').trim() : '';
    const code = raw !== undefined && typeof raw !== 'string' ? 'wrong_type' : problemOf(text, rule);
    values[field] = text;
    kept[field] = text.slice(0, rule.max);
    if (code) problems.push({ field, code, ...(code === 'too_long' ? { params: { max: rule.max } } : {}) });
  }
  return problems.length === 0
    ? { ok: true, values: values as FormValues<R> }
    : { ok: false, problems, kept: kept as FormValues<R> };
}
