import { strict as assert } from 'node:assert';
import {
  checkStep,
  FIELD_NAMES,
  FIELDS,
  fieldsOf,
  firstIncompleteStep,
  FORM_STEPS,
  type IntakeFields,
  mergeStep,
  nextStep,
  parseDecimal,
  previousStep,
  priceQuote,
  STEPS,
  toContent,
  weekendDates,
} from '../../src/services/intake';
import { OpportunityContent } from '../../src/services/opportunity';
import { content, NOW, typed } from '../support/opportunities';

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
    assert.equal(previousStep('basics'), 'basics');
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
    const c = toContent(typed({ repositoryUrl: '  ' }), TODAY);
    assert.equal(c && 'repositoryUrl' in c, false);
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

  it('cuts 100 KB of pasted text to what the field holds and says so', () => {
    const pasted = 'a'.repeat(100_000);
    const { fields, problems } = mergeStep({}, 'work', { background: pasted });
    assert.equal(fields.background?.length, FIELDS.background.max);
    assert.deepEqual(problems, [
      { field: 'background', code: 'truncated', params: { length: 100_000, max: FIELDS.background.max } },
    ]);
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
  });

  it('refuses an email address that is not one', () => {
    assert.deepEqual(codes(typed({ contactEmail: 'riley at example' }), 'basics'), {
      contactEmail: 'invalid_email',
    });
  });

  for (const url of [
    'ftp://example.com/repo',
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

  it('reads amounts as people type them in either language', () => {
    assert.equal(parseDecimal('80'), 80);
    assert.equal(parseDecimal('80.50'), 80.5);
    assert.equal(parseDecimal('80,50'), 80.5);
    assert.equal(parseDecimal('$1,200.00'), 1200);
    assert.equal(parseDecimal('1 200,50 $'), 1200.5);
    assert.equal(parseDecimal('1\u202f200,50\u00a0$'), 1200.5);
    assert.equal(parseDecimal('1,200'), 1200);
    assert.equal(parseDecimal(''), undefined);
    assert.equal(parseDecimal('12abc'), undefined);
  });

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

  it('has no quote until both figures can be read', () => {
    assert.equal(priceQuote({ hourlyRate: '80' }), undefined);
    assert.equal(priceQuote({ hourlyRate: 'x', estimatedHours: '4' }), undefined);
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

  it('flags dates on a weekend without refusing them', () => {
    const fields = typed({ applicationDeadline: '2026-12-05', deliveryDate: '2027-01-31' });
    assert.deepEqual(weekendDates(fields), ['applicationDeadline', 'deliveryDate']);
    assert.deepEqual(checkStep('pricing', fields, TODAY), []);
  });

  it('requires every attestation', () => {
    assert.deepEqual(codes(typed({ notContractSplitting: 'false', unclassified: '' }), 'attestations'), {
      unclassified: 'attestation_required',
      notContractSplitting: 'attestation_required',
    });
  });
});
