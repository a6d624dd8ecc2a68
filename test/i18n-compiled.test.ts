import { strict as assert } from 'node:assert';
import { LOCALES, type MessageKey, RESOURCES, t, withI18next } from '../src/i18n';

/**
 * Messages with parameters are compiled once and filled in without i18next; i18next stays the reference:
 * every message, in both languages, with every count form, says the same both ways.
 */

/** Every message key as callers name it (plural forms folded into one key). */
function keysOf(node: unknown, prefix = ''): string[] {
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) =>
    typeof v === 'string'
      ? [`${prefix}${k.replace(/_(zero|one|two|few|many|other)$/, '')}`]
      : keysOf(v, `${prefix}${k}.`),
  );
}

function placeholders(node: unknown): string[] {
  const text = JSON.stringify(node);
  return [...new Set([...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1] ?? ''))];
}

describe('messages filled in without i18next', () => {
  const keys = [...new Set(LOCALES.flatMap((l) => keysOf(RESOURCES[l])))];
  const names = placeholders(RESOURCES);

  it('say exactly what i18next says, for every message, language and count', () => {
    let compared = 0;
    for (const locale of LOCALES) {
      for (const key of keys) {
        for (const count of [undefined, 0, 1, 2, 5, 1_001]) {
          // A person's words may hold what looks like a placeholder: it stays as typed.
          const params: Record<string, string | number> = Object.fromEntries(
            names.map((n, i) => [n, i % 3 === 0 ? `${n} {{count}} $t(x)` : i % 3 === 1 ? i : `«${n}»`]),
          );
          if (count === undefined) delete params.count;
          else params.count = count;
          for (const days of ['days', 'vetting', 'posting', 'consultation', 'medianCal', 'closed'])
            params[days] = count ?? 3;
          assert.equal(
            t(locale, key as MessageKey, params),
            withI18next(locale, key as MessageKey, params),
            `${locale} ${key} count=${String(count)}`,
          );
          compared++;
        }
      }
    }
    assert.ok(compared > 1000, `${compared} messages compared`);
  });

  it('gives a French count in the millions the plural form, where i18next would show the key', () => {
    assert.equal(withI18next('fr', 'intake.banner.problems', { count: 1_000_000 }), 'intake.banner.problems');
    assert.equal(
      t('fr', 'intake.banner.problems', { count: 1_000_000 }),
      '1000000 choses à corriger ci-dessous.',
    );
  });

  it('leaves a message whose parameter is missing to i18next, which shows the placeholder', () => {
    assert.equal(
      t('en', 'decisions.card.requestedByValue', { name: 'Riley' }),
      withI18next('en', 'decisions.card.requestedByValue', { name: 'Riley' }),
    );
  });
});
