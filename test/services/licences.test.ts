import { strict as assert } from 'node:assert';
import {
  DEFAULT_LICENCE,
  LICENCE_IDS,
  LICENCES,
  licenceFrom,
  readLicence,
} from '../../src/services/licences';
import { Opportunity, OpportunityContent } from '../../src/services/opportunity';
import { content, submitted } from '../support/opportunities';

describe('licences a request may name', () => {
  it('offers open-source licences by SPDX id, MIT first and by default, each named in English and French', () => {
    assert.equal(LICENCE_IDS[0], 'MIT');
    assert.equal(DEFAULT_LICENCE, 'MIT');
    assert.deepEqual(LICENCE_IDS, [...new Set(LICENCE_IDS)]);
    for (const id of [
      'Apache-2.0',
      'BSD-3-Clause',
      'GPL-3.0-or-later',
      'LGPL-2.1-only',
      'AGPL-3.0-only',
      'MPL-2.0',
      'EPL-2.0',
    ]) {
      assert.ok((LICENCE_IDS as readonly string[]).includes(id), id);
    }
    for (const l of LICENCES) {
      assert.match(l.id, /^[A-Za-z0-9.+-]+$/, l.id);
      assert.ok(l.name.en.trim() !== '' && l.name.fr.trim() !== '', l.id);
    }
  });

  it('names no proprietary licence, and not CC0, which the OSI never approved', () => {
    for (const other of ['proprietary', 'Proprietary', 'CC0-1.0', 'CC-BY-4.0', 'UNLICENSED', '']) {
      assert.equal(licenceFrom(other), undefined, other);
    }
  });

  it('knows each licence by its id, by its name in either language, and regardless of case and spacing', () => {
    for (const l of LICENCES) {
      for (const spelling of [l.id, l.id.toLowerCase(), ` ${l.id} `, l.name.en, l.name.fr]) {
        assert.equal(licenceFrom(spelling), l.id, spelling);
      }
    }
  });

  it('reads the ways licences were written before the list as the listed one', () => {
    const known: [string, string][] = [
      ['MIT License', 'MIT'],
      ['The MIT licence', 'MIT'],
      ['mit', 'MIT'],
      ['Apache License, Version 2.0', 'Apache-2.0'],
      ['Apache 2', 'Apache-2.0'],
      ['BSD 3-Clause "New" or "Revised" License', 'BSD-3-Clause'],
      ['GPLv3', 'GPL-3.0-only'],
      ['GPL-3.0+', 'GPL-3.0-or-later'],
      ['GNU General Public License v3.0 or later', 'GPL-3.0-or-later'],
      ['LGPL-2.1', 'LGPL-2.1-only'],
      ['Mozilla Public License 2.0', 'MPL-2.0'],
      ['Licence publique de l’Union européenne 1.2', 'EUPL-1.2'],
      ['The Unlicense', 'Unlicense'],
      ['Expat', 'MIT'],
      ['Simplified BSD', 'BSD-2-Clause'],
      ['Zero-Clause BSD', '0BSD'],
      ['MPLv2', 'MPL-2.0'],
      ['EPLv2', 'EPL-2.0'],
      ['EUPL v1.2', 'EUPL-1.2'],
      ['LGPLv2.1+', 'LGPL-2.1-or-later'],
      ['LGPLv3', 'LGPL-3.0-only'],
      ['LGPLv3+', 'LGPL-3.0-or-later'],
      ['GPLv2', 'GPL-2.0-only'],
      ['GPLv2+', 'GPL-2.0-or-later'],
      ['AGPLv3', 'AGPL-3.0-only'],
      ['AGPLv3+', 'AGPL-3.0-or-later'],
      // A French name typed without its accents.
      ['licence BSD a zero clause', '0BSD'],
    ];
    for (const [written, id] of known) assert.equal(readLicence(written), id, written);
  });

  it('keeps any other licence text as it was written, so it stays readable', () => {
    assert.equal(readLicence('  Crown copyright '), 'Crown copyright');
    assert.equal(readLicence('proprietary'), 'proprietary');
    assert.equal(readLicence('Open Government Licence – Canada'), 'Open Government Licence – Canada');
  });
});

describe('the licence of a request', () => {
  it('must be a listed SPDX id in a new request', () => {
    assert.equal(OpportunityContent.safeParse(content({ licence: 'Apache-2.0' })).success, true);
    for (const licence of ['proprietary', 'MIT License', '']) {
      const result = OpportunityContent.safeParse({ ...content(), licence });
      assert.equal(result.success, false, licence);
      assert.deepEqual(result.error?.issues[0]?.path, ['licence']);
    }
  });

  it('loads a record stored before the list: a known spelling as its id, any other text as written', () => {
    const stored = (licence: string) => JSON.parse(JSON.stringify({ ...submitted(), licence })) as unknown;
    assert.equal(Opportunity.parse(stored('MIT License')).licence, 'MIT');
    const ogl = 'Open Government Licence – Canada';
    assert.equal(Opportunity.parse(stored(ogl)).licence, ogl);
    assert.equal(Opportunity.parse(stored('GPL-3.0+')).licence, 'GPL-3.0-or-later');
    assert.equal(Opportunity.parse(stored(' Crown copyright ')).licence, 'Crown copyright');
    assert.equal(Opportunity.parse(stored('Apache-2.0')).licence, 'Apache-2.0');
    assert.equal(Opportunity.safeParse(stored('')).success, false);
  });
});
