import { type Locale, t } from '../i18n';
import { LICENCES, licenceFrom, licenceOf, type LicenceId } from '../services/licences';

/** Licences in words: the choice on the intake, and the criterion every request's acceptance includes. */

function capitalised(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

/** A listed licence as a person picks it: its name in their language, then its SPDX id. */
export function licenceTitle(locale: Locale, id: LicenceId): string {
  return `${capitalised(licenceOf(id).name[locale])} (${id})`;
}

/**
 * A licence as a record or a draft holds it, for reading: a listed one by name and id, any other text (a
 * record from before the list) as written. That text is a person's: show it where no Markdown is read.
 */
export function licenceText(locale: Locale, licence: string): string {
  const id = licenceFrom(licence);
  return id ? licenceTitle(locale, id) : licence.trim();
}

/**
 * The acceptance criterion every request includes: the code released under its licence, in a public
 * repository. A licence that is not on the list (an old record's) is quoted as written: a person's text,
 * to be shown where no Markdown is read.
 */
export function licenceCriterion(locale: Locale, licence: string): string {
  const id = licenceFrom(licence);
  if (id === undefined) return t(locale, 'licences.criterionUnlisted', { licence: licence.trim() });
  return t(locale, 'licences.criterion', { name: licenceOf(id).name[locale], id });
}

/**
 * The intake's licence input in the person's language: the listed licences, with the draft's own selected.
 * Another spelling of a listed one is shown as that one. Any other value (forged, or from a record kept from
 * before the list) is offered too, marked, so the person sees what was there while they pick.
 */
export function licenceInput(
  locale: Locale,
  current: string,
): { value: string; choices: { title: string; value: string }[] } {
  const choices = LICENCES.map((l) => ({ title: licenceTitle(locale, l.id), value: l.id }));
  const kept = current.trim();
  const id = licenceFrom(kept);
  if (id !== undefined || kept === '') return { value: id ?? '', choices };
  return {
    value: kept,
    choices: [...choices, { title: t(locale, 'licences.unlisted', { licence: kept }), value: kept }],
  };
}
