import { strict as assert } from 'node:assert';
import { localeOf, RESOURCES, t } from '../src/i18n';
import { formatDate, formatMoney } from '../src/i18n/format';

function leaves(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}
const params = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('English and French resources', () => {
  const en = leaves(RESOURCES.en);
  const fr = leaves(RESOURCES.fr);

  it('have the same messages in both languages', () => {
    assert.deepEqual([...fr.keys()].sort(), [...en.keys()].sort());
  });

  it('fill the same blanks in both languages', () => {
    const differ = [...en].filter(([k, v]) => params(v).join() !== params(fr.get(k) ?? '').join());
    assert.deepEqual(differ, []);
  });

  it('leave no message empty unless it is empty in both (an absent hint or placeholder)', () => {
    const lopsided = [...en].filter(([k, v]) => (v === '') !== (fr.get(k) === ''));
    assert.deepEqual(lopsided, []);
  });

  it('choose singular or plural from the count', () => {
    assert.equal(t('en', 'intake.banner.problems', { count: 1 }), 'One thing to fix below.');
    assert.equal(t('en', 'intake.banner.problems', { count: 3 }), '3 things to fix below.');
    assert.equal(t('fr', 'intake.banner.problems', { count: 2 }), '2 choses à corriger ci-dessous.');
  });

  it('speak French to any fr-* Teams locale and English to en-*, else the default', () => {
    assert.equal(localeOf('fr-CA', 'en'), 'fr');
    assert.equal(localeOf('fr_FR', 'en'), 'fr');
    assert.equal(localeOf('en-GB', 'fr'), 'en');
    assert.equal(localeOf('de-DE', 'fr'), 'fr');
    assert.equal(localeOf(undefined, 'en'), 'en');
  });

  it('write amounts and dates as Canadians of each language do', () => {
    assert.equal(formatMoney(460_000, 'en'), '$4,600.00');
    assert.equal(formatMoney(460_000, 'fr').replace(/\s/g, ' '), '4 600,00 $');
    assert.equal(formatDate('2026-12-07', 'en'), 'Monday, December 7, 2026');
    assert.equal(formatDate('2026-12-07', 'fr'), 'lundi 7 décembre 2026');
  });
});
