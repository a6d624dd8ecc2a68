import { parseDecimal } from '../../src/services/pricing';
import { strict as assert } from 'node:assert';
import {
  earliestDeadline,
  checkStep,
  datesOff,
  FIELD_NAMES,
  FIELDS,
  fieldsOf,
  firstIncompleteStep,
  fieldsFromContent,
  FORM_STEPS,
  initialFields,
  INPUT_MAX_LENGTH,
  type IntakeFields,
  isStep,
  mergeStep,
  nextStep,
  previousStep,
  priceQuote,
  stepNumber,
  STEPS,
  toContent,
} from '../../src/services/intake';
import { LICENCE_IDS } from '../../src/services/licences';
import { MAX_SKILLS, OpportunityContent, TEXT_LIMITS } from '../../src/services/opportunity';
import { CALENDAR, content, NOW, typed } from '../support/opportunities';

const TODAY = NOW.slice(0, 10);
const codes = (fields: IntakeFields, step: (typeof FORM_STEPS)[number]) =>
  Object.fromEntries(checkStep(step, fields, TODAY).map((p) => [p.field, p.code]));

describe('intake: steps', () => {
  it('goes basics → the work → price and dates → attestations → review, and back', () => {
    assert.deepEqual(STEPS, ['basics', 'work', 'pricing', 'attestations', 'review']);
    assert.equal(nextStep('basics'), 'work');
    assert.equal(nextStep('attestations'), 'review');
    assert.equal(nextStep('review'), 'review');
    assert.equal(previousStep('work'), 'basics');
    assert.equal(previousStep('pricing'), 'work');
    assert.equal(previousStep('review'), 'attestations');
    assert.equal(previousStep('basics'), 'basics');
  });

  it('numbers the steps from 1 (the basics) to 5 (the review)', () => {
    assert.deepEqual(STEPS.map(stepNumber), [1, 2, 3, 4, 5]);
  });

  it('knows its steps by name, and nothing else', () => {
    assert.deepEqual(STEPS.filter(isStep), [...STEPS]);
    for (const other of ['', 'Basics', 'submit', 1, undefined, ['basics']])
      assert.equal(isStep(other), false);
  });

  it('starts a draft with the MIT licence, unless the draft it starts from says otherwise', () => {
    assert.deepEqual(initialFields(), { licence: 'MIT' });
    assert.deepEqual(initialFields({ title: 'Fix', licence: 'Apache-2.0' }), {
      title: 'Fix',
      licence: 'Apache-2.0',
    });
  });

  it('asks every field of the opportunity template on exactly one step', () => {
    const asked = FORM_STEPS.flatMap((s) => fieldsOf(s));
    assert.deepEqual([...asked].sort(), [...FIELD_NAMES].sort());
  });

  it('turns a complete draft into the opportunity the person described', () => {
    assert.deepEqual(toContent(typed(), TODAY), content());
    assert.equal(OpportunityContent.safeParse(toContent(typed(), TODAY)).success, true);
  });

  it('finds no problem on any step of a complete draft', () => {
    for (const step of FORM_STEPS) assert.deepEqual(checkStep(step, typed(), TODAY), [], step);
    assert.equal(firstIncompleteStep(typed(), TODAY), undefined);
  });

  it('points at the first step that still has a problem', () => {
    const missing = firstIncompleteStep(typed({ deliveryDate: '', title: '' }), TODAY);
    assert.equal(missing?.step, 'basics');
    assert.deepEqual(missing?.problems, [{ field: 'title', code: 'required', params: { max: 100 } }]);
    assert.equal(firstIncompleteStep(typed({ unclassified: 'false' }), TODAY)?.step, 'attestations');
  });

  it('produces no opportunity from an incomplete draft', () => {
    assert.equal(toContent(typed({ contactEmail: 'nope' }), TODAY), undefined);
  });

  it('leaves the repository out when none is given', () => {
    for (const repositoryUrl of ['  ', '', undefined]) {
      const c = toContent(typed({ repositoryUrl }), TODAY);
      assert.ok(c, String(repositoryUrl));
      assert.equal('repositoryUrl' in c, false);
    }
  });

  it('keeps the licence of a request stored before the list, so the person sees it while choosing', () => {
    assert.equal(fieldsFromContent({ ...content(), licence: 'Crown copyright' }).licence, 'Crown copyright');
  });

  it('shows a submitted request as the draft that gives it, with or without a repository', () => {
    const { repositoryUrl: _, ...withoutRepository } = content();
    for (const c of [content(), withoutRepository])
      assert.deepEqual(toContent(fieldsFromContent(c), TODAY), c);
    assert.equal(fieldsFromContent(withoutRepository).repositoryUrl, '');
  });

  it('produces no opportunity from a draft that reads well but breaks a rule', () => {
    assert.equal(toContent(typed({ hourlyRate: '100', estimatedHours: '77' }), TODAY), undefined);
  });

  it('holds fifteen skills of the longest length, with their separators, in the skills box', () => {
    const skills = Array.from({ length: MAX_SKILLS }, (_, i) => String(i).padStart(TEXT_LIMITS.skill, 's'));
    const { fields, problems } = mergeStep(typed(), 'work', {
      ...typed(),
      requiredSkills: skills.join(', '),
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(toContent(fields, TODAY)?.requiredSkills, skills);
  });

  it('reads the skills as a list, by commas, semicolons or lines', () => {
    assert.deepEqual(
      toContent(typed({ requiredSkills: 'Go; SQL,\nAccessibility, ' }), TODAY)?.requiredSkills,
      ['Go', 'SQL', 'Accessibility'],
    );
  });
});

describe('intake: what a person typed that cannot be read', () => {
  it('says which required fields are empty, or only spaces', () => {
    assert.deepEqual(codes(typed({ title: '', branch: '   ' }), 'basics'), {
      title: 'required',
      branch: 'required',
    });
    assert.equal(codes({}, 'work').background, 'required');
    assert.equal(codes({}, 'pricing').hourlyRate, 'required');
  });

  it('refuses text longer than the field holds', () => {
    assert.deepEqual(codes(typed({ title: 'x'.repeat(101) }), 'basics'), { title: 'too_long' });
    assert.deepEqual(codes(typed({ title: 'x'.repeat(100) }), 'basics'), {});
  });

  it('counts an accented letter or an emoji as one character, not bytes', () => {
    assert.deepEqual(codes(typed({ title: 'é'.repeat(100) }), 'basics'), {});
    const merged = mergeStep({}, 'basics', { title: '🚀'.repeat(100) });
    assert.deepEqual(merged.problems, []);
    assert.equal(merged.fields.title, '🚀'.repeat(100));
  });

  it('cuts pasted text to what the field holds and says how long it was', () => {
    const pasted = 'a'.repeat(5_000);
    const { fields, problems } = mergeStep({}, 'basics', { title: pasted });
    assert.equal(fields.title, 'a'.repeat(FIELDS.title.max));
    assert.deepEqual(problems, [
      { field: 'title', code: 'truncated', params: { length: 5_000, max: FIELDS.title.max } },
    ]);
  });

  it('says a paste as long as the card lets through was at least that long: Teams may have cut it', () => {
    const atBound = mergeStep({}, 'work', { background: 'a'.repeat(INPUT_MAX_LENGTH) });
    assert.deepEqual(atBound.problems[0]?.params, {
      length: INPUT_MAX_LENGTH,
      max: FIELDS.background.max,
      atLeast: 1,
    });
    const forged = mergeStep({}, 'work', { background: 'a'.repeat(100_000) });
    assert.equal(forged.fields.background?.length, FIELDS.background.max);
    assert.deepEqual(forged.problems[0]?.params, { length: 100_000, max: FIELDS.background.max, atLeast: 1 });
    const under = mergeStep({}, 'work', { background: 'a'.repeat(INPUT_MAX_LENGTH - 1) });
    assert.equal(under.problems[0]?.params?.atLeast, undefined);
  });

  it('lets a paste through the card well beyond what any field keeps', () => {
    for (const name of FIELD_NAMES) assert.ok(INPUT_MAX_LENGTH >= 10 * FIELDS[name].max, name);
  });

  it('refuses a licence that is not on the list, keeping what was typed in the draft', () => {
    for (const licence of ['proprietary', 'Crown copyright', 'CC-BY-NC-4.0', 'MIT-ish']) {
      const { fields, problems } = mergeStep(typed(), 'work', { ...typed(), licence });
      assert.deepEqual(problems, []);
      assert.equal(fields.licence, licence);
      assert.deepEqual(checkStep('work', fields, TODAY), [
        { field: 'licence', code: 'not_a_licence', params: { max: FIELDS.licence.max } },
      ]);
      assert.equal(toContent(fields, TODAY), undefined);
    }
  });

  it('asks for a licence when none is chosen', () => {
    assert.deepEqual(codes(typed({ licence: '' }), 'work'), { licence: 'required' });
  });

  it('takes every listed licence by its SPDX id into the request', () => {
    for (const id of LICENCE_IDS) assert.equal(toContent(typed({ licence: id }), TODAY)?.licence, id);
  });

  it('reads a draft’s licence written before the list, such as "MIT License", as the listed one', () => {
    assert.equal(toContent(typed({ licence: 'MIT License' }), TODAY)?.licence, 'MIT');
    assert.equal(toContent(typed({ licence: ' apache 2.0 ' }), TODAY)?.licence, 'Apache-2.0');
  });

  it('refuses a value of the wrong type from forged card data, keeping what was there', () => {
    const { fields, problems } = mergeStep({ title: 'Kept' }, 'basics', { title: { $gt: '' }, team: ['a'] });
    assert.equal(fields.title, 'Kept');
    assert.deepEqual(
      problems.map((p) => [p.field, p.code]),
      [
        ['title', 'wrong_type'],
        ['team', 'wrong_type'],
      ],
    );
  });

  it('reads numbers sent as numbers, and ignores fields of other steps and unknown keys', () => {
    const { fields } = mergeStep({}, 'pricing', {
      hourlyRate: 80,
      title: 'not here',
      verb: 'intake.next',
      x: 1,
    });
    assert.deepEqual(fields, { hourlyRate: '80' });
  });

  it('takes an unticked attestation, absent from the data, as not confirmed', () => {
    assert.equal(mergeStep({ unclassified: 'true' }, 'attestations', {}).fields.unclassified, 'false');
    assert.equal(
      mergeStep({ unclassified: 'true' }, 'attestations', { unclassified: null }).fields.unclassified,
      'false',
    );
  });

  it('reads an attestation sent as a true or false value', () => {
    const { fields, problems } = mergeStep({}, 'attestations', { unclassified: true, standalone: false });
    assert.deepEqual(problems, []);
    assert.deepEqual([fields.unclassified, fields.standalone], ['true', 'false']);
  });

  it('keeps what was typed when an input comes back empty-handed (null)', () => {
    const { fields, problems } = mergeStep({ title: 'Kept' }, 'basics', { title: null });
    assert.deepEqual(problems, []);
    assert.equal(fields.title, 'Kept');
  });

  it('names the limit a problem is about: the field’s length, one skill’s length, or how many skills', () => {
    const problems = (fields: IntakeFields, step: (typeof FORM_STEPS)[number]) =>
      Object.fromEntries(checkStep(step, fields, TODAY).map((p) => [p.field, [p.code, p.params?.max]]));
    assert.deepEqual(problems(typed({ shortDescription: 'x'.repeat(501), team: '' }), 'basics'), {
      shortDescription: ['too_long', 500],
      team: ['required', FIELDS.team.max],
    });
    const longSkill = 'x'.repeat(TEXT_LIMITS.skill + 1);
    assert.deepEqual(problems(typed({ requiredSkills: `Go, ${longSkill}` }), 'work'), {
      requiredSkills: ['too_long', TEXT_LIMITS.skill],
    });
    const many = Array.from({ length: MAX_SKILLS + 1 }, (_, i) => `skill ${i}`).join(', ');
    assert.deepEqual(problems(typed({ requiredSkills: many }), 'work'), {
      requiredSkills: ['too_many_items', MAX_SKILLS],
    });
  });

  it('gives one problem per field, the first to fix', () => {
    const longSkill = 'x'.repeat(TEXT_LIMITS.skill + 1);
    const problems = checkStep('work', typed({ requiredSkills: `${longSkill}, ${longSkill}` }), TODAY);
    assert.deepEqual(
      problems.map((p) => [p.field, p.code]),
      [['requiredSkills', 'too_long']],
    );
  });

  it('finds no skill in a list of separators alone', () => {
    assert.deepEqual(checkStep('work', typed({ requiredSkills: ' , ;\n' }), TODAY), [
      { field: 'requiredSkills', code: 'required', params: { max: FIELDS.requiredSkills.max } },
    ]);
  });

  it('takes a rate, hours or a date of spaces alone as not given', () => {
    assert.deepEqual(
      codes(typed({ hourlyRate: '   ', estimatedHours: '\u00a0', deliveryDate: '  ' }), 'pricing'),
      { hourlyRate: 'required', estimatedHours: 'required', deliveryDate: 'required' },
    );
  });

  it('reads a date typed with spaces around it', () => {
    assert.equal(toContent(typed({ deliveryDate: ' 2027-01-29 ' }), TODAY)?.dates.deliveryDate, '2027-01-29');
  });

  it('refuses an email address that is not one', () => {
    assert.deepEqual(codes(typed({ contactEmail: 'riley at example' }), 'basics'), {
      contactEmail: 'invalid_email',
    });
  });

  for (const url of [
    'ftp://example.com/repo',
    'xhttps://example.com/repo',
    'https+x://example.com/repo',
    'javascript:alert(1)',
    'github.com/x',
    'https://',
    'http://exa mple.com',
  ]) {
    it(`refuses ${url} as a repository address`, () => {
      assert.deepEqual(codes(typed({ repositoryUrl: url }), 'work'), { repositoryUrl: 'invalid_url' });
    });
  }

  it('accepts http and https repository addresses', () => {
    assert.deepEqual(codes(typed({ repositoryUrl: 'http://git.example.gc.ca/team/repo' }), 'work'), {});
  });

  for (const [rate, code] of [
    ['eighty', 'not_a_number'],
    ['80$/h', 'not_a_number'],
    ['-80', 'not_positive'],
    ['0', 'not_positive'],
    ['1e3', 'not_a_number'],
    ['99999', 'too_large'],
  ] as const) {
    it(`refuses "${rate}" as an hourly rate (${code})`, () => {
      assert.equal(codes(typed({ hourlyRate: rate }), 'pricing').hourlyRate, code);
    });
  }

  const AMOUNTS: readonly [string | undefined, number | undefined][] = [
    ['80', 80],
    ['80.50', 80.5],
    ['80.505', 80.505],
    ['80,50', 80.5],
    ['80,5', 80.5],
    ['$1,200.00', 1200],
    ['1,200', 1200],
    ['12,345', 12345],
    ['1,234,567.89', 1234567.89],
    ['1 200,50 $', 1200.5],
    ['1\u202f200,50\u00a0$', 1200.5],
    ['1.200,50', 1200.5],
    ['1.234.567,89', 1234567.89],
    ['12.345,6', 12345.6],
    ['1.234.567', 1234567],
    ['abc1.200,50', undefined],
    ['1.200,50abc', undefined],
    ['1.200', 1.2],
    ['-80', -80],
    ['-80,50', -80.5],
    ['', undefined],
    [undefined, undefined],
    ['  ', undefined],
    ['12abc', undefined],
    [',500', undefined],
    ['.5', undefined],
    ['1,2,3', undefined],
    ['1,234.5,6', undefined],
    ['1.234,5.6', undefined],
    ['1234,567', undefined],
    ['80.', undefined],
    ['1e3', undefined],
    ['--80', undefined],
  ];
  for (const [typedAmount, read] of AMOUNTS) {
    it(`reads ${JSON.stringify(typedAmount)} as ${read ?? 'no amount'}`, () => {
      assert.equal(parseDecimal(typedAmount), read);
    });
  }

  it('refuses a date that is not a date', () => {
    assert.equal(codes(typed({ deliveryDate: '2027-02-30' }), 'pricing').deliveryDate, 'invalid_date');
    assert.equal(codes(typed({ deliveryDate: 'next Friday' }), 'pricing').deliveryDate, 'invalid_date');
  });

  it('refuses more than 15 skills', () => {
    const many = Array.from({ length: 16 }, (_, i) => `skill ${i}`).join(', ');
    assert.equal(codes(typed({ requiredSkills: many }), 'work').requiredSkills, 'too_many_items');
  });

  it('keeps template syntax, Markdown and HTML as the plain text typed', () => {
    const tricky = '${title} **bold** [click](https://evil.example) <b>x</b>';
    const c = toContent(typed({ title: tricky.slice(0, 100), background: tricky }), TODAY);
    assert.equal(c?.background, tricky);
  });
});

describe('intake: rules on price and dates', () => {
  it('prices the work as rate × (hours + 10 admin hours) and adds the highest tax', () => {
    assert.deepEqual(priceQuote({ hourlyRate: '80', estimatedHours: '40' }), {
      hourlyRateCents: 8_000,
      estimatedHours: 40,
      adminHours: 10,
      fixedPriceCents: 400_000,
      totalWithTaxCents: 460_000,
      rateOutsideSuggestion: false,
    });
  });

  it('flags a rate outside the suggested $60–$100', () => {
    assert.equal(priceQuote({ hourlyRate: '59.99', estimatedHours: '10' })?.rateOutsideSuggestion, true);
    assert.equal(priceQuote({ hourlyRate: '100', estimatedHours: '10' })?.rateOutsideSuggestion, false);
    assert.equal(priceQuote({ hourlyRate: '101', estimatedHours: '10' })?.rateOutsideSuggestion, true);
  });

  it('flags a rate of exactly $60 or $100 as within the suggestion', () => {
    assert.equal(priceQuote({ hourlyRate: '60', estimatedHours: '10' })?.rateOutsideSuggestion, false);
    assert.equal(priceQuote({ hourlyRate: '100', estimatedHours: '10' })?.rateOutsideSuggestion, false);
  });

  it('has no quote until both figures can be read', () => {
    assert.equal(priceQuote({ hourlyRate: '80' }), undefined);
    assert.equal(priceQuote({ estimatedHours: '40' }), undefined);
    assert.equal(priceQuote({ hourlyRate: 'x', estimatedHours: '4' }), undefined);
  });

  it('has no quote for a rate or hours of zero or less, or past what the form reads', () => {
    for (const [hourlyRate, estimatedHours] of [
      ['0', '40'],
      ['80', '0'],
      ['-80', '40'],
      ['80', '-1'],
      ['10000.01', '1'],
      ['80', '10000.5'],
    ]) {
      assert.equal(
        priceQuote({ hourlyRate, estimatedHours }),
        undefined,
        `${hourlyRate} × ${estimatedHours}`,
      );
    }
  });

  it('quotes up to the largest rate and hours the form reads', () => {
    assert.equal(priceQuote({ hourlyRate: '10000', estimatedHours: '1' })?.fixedPriceCents, 11_000_000);
    assert.equal(priceQuote({ hourlyRate: '1', estimatedHours: '10000' })?.fixedPriceCents, 1_001_000);
  });

  it('refuses a price over $10,000 with the highest tax, next to the hours', () => {
    // 100 × (77 + 10) = 8,700 → 10,005 with tax.
    const problems = checkStep('pricing', typed({ hourlyRate: '100', estimatedHours: '77' }), TODAY);
    assert.deepEqual(problems, [
      { field: 'estimatedHours', code: 'over_ceiling', params: { totalCents: 1_000_500 } },
    ]);
    assert.deepEqual(checkStep('pricing', typed({ hourlyRate: '100', estimatedHours: '76.9' }), TODAY), []);
  });

  it('refuses an application deadline that is today or past', () => {
    assert.equal(
      codes(typed({ applicationDeadline: TODAY }), 'pricing').applicationDeadline,
      'date_not_future',
    );
  });

  it('judges the deadline even while the other dates cannot be read yet', () => {
    assert.deepEqual(codes(typed({ applicationDeadline: TODAY, deliveryDate: '' }), 'pricing'), {
      deliveryDate: 'required',
      applicationDeadline: 'date_not_future',
    });
    assert.deepEqual(codes(typed({ applicationDeadline: '2026-11-24', deliveryDate: '' }), 'pricing'), {
      deliveryDate: 'required',
    });
  });

  it('judges price and dates on their own step only', () => {
    const fields = typed({ hourlyRate: '100', estimatedHours: '500', applicationDeadline: TODAY });
    for (const step of ['basics', 'work', 'attestations'] as const) assert.deepEqual(codes(fields, step), {});
    assert.deepEqual(codes(fields, 'pricing'), {
      estimatedHours: 'over_ceiling',
      applicationDeadline: 'date_not_future',
      deliveryDate: 'too_many_hours_per_week',
    });
  });

  it('refuses dates out of process order', () => {
    assert.deepEqual(
      codes(typed({ supplierSelectionDate: '2026-12-07', deliveryDate: '2026-12-01' }), 'pricing'),
      { supplierSelectionDate: 'dates_out_of_order', deliveryDate: 'dates_out_of_order' },
    );
  });

  it('refuses a delivery that needs more than 37.5 hours a week', () => {
    // 40 + 10 hours in one week.
    assert.equal(
      codes(typed({ supplierSelectionDate: '2026-12-09', deliveryDate: '2026-12-16' }), 'pricing')
        .deliveryDate,
      'too_many_hours_per_week',
    );
  });

  it('flags dates on a weekend, a holiday or a closure without refusing them', () => {
    const fields = typed({ applicationDeadline: '2026-12-05', deliveryDate: '2027-01-31' });
    assert.deepEqual(datesOff(fields, CALENDAR), ['applicationDeadline', 'deliveryDate']);
    assert.deepEqual(checkStep('pricing', fields, TODAY), []);
    const holidays = typed({ applicationDeadline: '2026-12-28', supplierSelectionDate: '2026-12-30' });
    assert.deepEqual(datesOff(holidays, CALENDAR), ['applicationDeadline']);
    assert.deepEqual(datesOff(holidays, new Set(['2026-12-30'])), ['supplierSelectionDate']);
  });

  it('requires every attestation', () => {
    assert.deepEqual(codes(typed({ notContractSplitting: 'false', unclassified: '' }), 'attestations'), {
      unclassified: 'attestation_required',
      notContractSplitting: 'attestation_required',
    });
  });
});

describe('intake: room before the deadline for vetting, the consultation and posting', () => {
  // Two business days to vet, five of consultation, five posted: twelve from Monday 23 November.
  const ROOM = { vettingDays: 2, consultationDays: 5, postingDays: 5 };
  const earliest = (deadline: string, today = '2026-11-23', room = ROOM) =>
    earliestDeadline(typed({ applicationDeadline: deadline }), today, room, CALENDAR);

  it('names the earliest deadline that fits when the one typed comes sooner', () => {
    assert.equal(earliest('2026-12-08'), '2026-12-09');
    assert.equal(earliest('2026-11-24'), '2026-12-09');
  });

  it('says nothing of a deadline that leaves exactly the room, or more', () => {
    assert.equal(earliest('2026-12-09'), undefined);
    assert.equal(earliest(' 2026-12-09 '), undefined);
    assert.equal(earliest('2027-01-29'), undefined);
  });

  it('counts each of vetting, the consultation and posting', () => {
    assert.equal(earliest('2026-12-08', '2026-11-23', { ...ROOM, vettingDays: 3 }), '2026-12-10');
    assert.equal(earliest('2026-12-08', '2026-11-23', { ...ROOM, consultationDays: 6 }), '2026-12-10');
    assert.equal(earliest('2026-12-08', '2026-11-23', { ...ROOM, postingDays: 6 }), '2026-12-10');
  });

  it('skips the holidays and the weekends between, as the consultation does', () => {
    // From Friday 18 December: Christmas, Boxing Day in lieu (Monday 28) and New Year's Day are off.
    assert.equal(earliest('2026-12-31', '2026-12-18'), '2027-01-08');
  });

  it('waits for a deadline it can read', () => {
    for (const deadline of ['', 'next friday', '2026-02-30', '12/08/2026']) {
      assert.equal(earliest(deadline), undefined, deadline);
    }
    assert.equal(earliestDeadline({}, '2026-11-23', ROOM, CALENDAR), undefined);
    // Spaces around a date typed are not part of it.
    assert.equal(earliest(' 2026-12-08 '), '2026-12-09');
  });
});
