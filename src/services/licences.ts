import { z } from 'zod';

/**
 * The licences a request may name, by SPDX identifier: OSI-approved licences in common use for government
 * open source, permissive first. Each name is the licence's own in each official language, written to
 * follow "the" / "la" in a sentence. CC0 is left out: the OSI never approved it (it withholds patent rights).
 */
export const LICENCES = [
  { id: 'MIT', name: { en: 'MIT License', fr: 'licence MIT' } },
  { id: 'Apache-2.0', name: { en: 'Apache License 2.0', fr: 'licence Apache 2.0' } },
  { id: 'BSD-2-Clause', name: { en: 'BSD 2-Clause License', fr: 'licence BSD à 2 clauses' } },
  { id: 'BSD-3-Clause', name: { en: 'BSD 3-Clause License', fr: 'licence BSD à 3 clauses' } },
  { id: 'ISC', name: { en: 'ISC License', fr: 'licence ISC' } },
  { id: '0BSD', name: { en: 'BSD Zero Clause License', fr: 'licence BSD à zéro clause' } },
  { id: 'MPL-2.0', name: { en: 'Mozilla Public License 2.0', fr: 'licence publique Mozilla 2.0' } },
  { id: 'EPL-2.0', name: { en: 'Eclipse Public License 2.0', fr: 'licence publique Eclipse 2.0' } },
  {
    id: 'EUPL-1.2',
    name: { en: 'European Union Public Licence 1.2', fr: 'licence publique de l’Union européenne 1.2' },
  },
  {
    id: 'LGPL-2.1-only',
    name: {
      en: 'GNU Lesser General Public License v2.1 only',
      fr: 'licence publique générale amoindrie GNU v2.1 seulement',
    },
  },
  {
    id: 'LGPL-2.1-or-later',
    name: {
      en: 'GNU Lesser General Public License v2.1 or later',
      fr: 'licence publique générale amoindrie GNU v2.1 ou ultérieure',
    },
  },
  {
    id: 'LGPL-3.0-only',
    name: {
      en: 'GNU Lesser General Public License v3.0 only',
      fr: 'licence publique générale amoindrie GNU v3.0 seulement',
    },
  },
  {
    id: 'LGPL-3.0-or-later',
    name: {
      en: 'GNU Lesser General Public License v3.0 or later',
      fr: 'licence publique générale amoindrie GNU v3.0 ou ultérieure',
    },
  },
  {
    id: 'GPL-2.0-only',
    name: { en: 'GNU General Public License v2.0 only', fr: 'licence publique générale GNU v2.0 seulement' },
  },
  {
    id: 'GPL-2.0-or-later',
    name: {
      en: 'GNU General Public License v2.0 or later',
      fr: 'licence publique générale GNU v2.0 ou ultérieure',
    },
  },
  {
    id: 'GPL-3.0-only',
    name: { en: 'GNU General Public License v3.0 only', fr: 'licence publique générale GNU v3.0 seulement' },
  },
  {
    id: 'GPL-3.0-or-later',
    name: {
      en: 'GNU General Public License v3.0 or later',
      fr: 'licence publique générale GNU v3.0 ou ultérieure',
    },
  },
  {
    id: 'AGPL-3.0-only',
    name: {
      en: 'GNU Affero General Public License v3.0 only',
      fr: 'licence publique générale Affero GNU v3.0 seulement',
    },
  },
  {
    id: 'AGPL-3.0-or-later',
    name: {
      en: 'GNU Affero General Public License v3.0 or later',
      fr: 'licence publique générale Affero GNU v3.0 ou ultérieure',
    },
  },
  { id: 'Unlicense', name: { en: 'Unlicense', fr: 'licence Unlicense' } },
] as const satisfies readonly { id: string; name: { en: string; fr: string } }[];

export type Licence = (typeof LICENCES)[number];
export type LicenceId = Licence['id'];
export const LICENCE_IDS = LICENCES.map((l) => l.id) as [LicenceId, ...LicenceId[]];
export const LicenceId = z.enum(LICENCE_IDS);

/** A new repository is released under MIT; an existing one keeps its own licence. */
export const DEFAULT_LICENCE: LicenceId = 'MIT';

export function isLicenceId(value: string): value is LicenceId {
  return (LICENCE_IDS as readonly string[]).includes(value);
}

export function licenceOf(id: LicenceId): Licence {
  // Every id names an entry: LicenceId is made from the list.
  return LICENCES.find((l) => l.id === id) as Licence;
}

/**
 * Other ways people wrote a listed licence before it was chosen from a list: SPDX's deprecated ids (which
 * it defines as "only" or, with "+", "or later") and common short forms. Case, spaces, punctuation, accents,
 * "the", "version" and "licence" / "license" do not matter (see `squash`).
 */
const ALIASES: Readonly<Partial<Record<LicenceId, readonly string[]>>> = {
  MIT: ['Expat'],
  'Apache-2.0': ['Apache 2', 'Apache2', 'ASL 2.0', 'Apache License, Version 2.0'],
  'BSD-2-Clause': ['BSD 2-Clause "Simplified" License', 'Simplified BSD', 'FreeBSD'],
  'BSD-3-Clause': ['BSD 3-Clause "New" or "Revised" License', 'New BSD', 'Modified BSD', 'Revised BSD'],
  '0BSD': ['Zero-Clause BSD', 'BSD0'],
  'MPL-2.0': ['MPL 2', 'MPLv2', 'MPLv2.0'],
  'EPL-2.0': ['EPL 2', 'EPLv2'],
  'EUPL-1.2': ['EUPL v1.2'],
  'LGPL-2.1-only': ['LGPL-2.1', 'LGPLv2.1'],
  'LGPL-2.1-or-later': ['LGPL-2.1+', 'LGPLv2.1+'],
  'LGPL-3.0-only': ['LGPL-3.0', 'LGPLv3', 'LGPL-3'],
  'LGPL-3.0-or-later': ['LGPL-3.0+', 'LGPLv3+', 'LGPL-3+'],
  'GPL-2.0-only': ['GPL-2.0', 'GPLv2', 'GPL-2'],
  'GPL-2.0-or-later': ['GPL-2.0+', 'GPLv2+', 'GPL-2+'],
  'GPL-3.0-only': ['GPL-3.0', 'GPLv3', 'GPL-3'],
  'GPL-3.0-or-later': ['GPL-3.0+', 'GPLv3+', 'GPL-3+'],
  'AGPL-3.0-only': ['AGPL-3.0', 'AGPLv3', 'AGPL-3'],
  'AGPL-3.0-or-later': ['AGPL-3.0+', 'AGPLv3+', 'AGPL-3+'],
};

/** The letters and digits that tell licences apart: "The MIT licence" and "mit-License" are both "mit". */
function squash(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\b(the|version|licen[cs]e)\b/g, '')
    .replace(/[^a-z0-9+]/g, '');
}

const BY_SPELLING: ReadonlyMap<string, LicenceId> = new Map(
  LICENCES.flatMap((l) =>
    [l.id, l.name.en, l.name.fr, ...(ALIASES[l.id] ?? [])].map((spelling) => [squash(spelling), l.id]),
  ),
);

/** The listed licence a text names, however it is spelt; undefined when it names none of them. */
export function licenceFrom(text: string): LicenceId | undefined {
  return BY_SPELLING.get(squash(text));
}

/**
 * A licence as a record holds it: a listed licence as its SPDX id, whichever way it was written; any other
 * text (from before licences were chosen from a list) as it was written, so it stays readable.
 */
export function readLicence(text: string): string {
  const trimmed = text.trim();
  return licenceFrom(trimmed) ?? trimmed;
}
