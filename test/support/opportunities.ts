import { fieldsFromContent, type IntakeFields } from '../../src/services/intake';
import { type Clock, submit } from '../../src/services/lifecycle';
import type { Opportunity, OpportunityContent } from '../../src/services/opportunity';
import type { Actor, ConfiguredRole } from '../../src/services/roles';

/** A Monday, so business-day arithmetic in tests starts from a plain week. */
export const NOW = '2026-11-23T15:00:00.000Z';
export const clock = (now = NOW): Clock => ({ now, consultationDays: 5 });

export function person(id: string, ...roles: ConfiguredRole[]): Actor {
  return { id, name: `Person ${id}`, roles: new Set(roles) };
}

export const REQUESTER = person('req-1');

/** Complete intake content that meets every rule at NOW: $4,000 ($4,600 with the highest tax). */
export function content(overrides: Partial<OpportunityContent> = {}): OpportunityContent {
  return {
    title: 'Accessible date picker for the benefits form',
    shortDescription:
      'Make the date picker on the benefits application keyboard and screen-reader accessible.',
    background:
      'The Benefits Delivery branch runs the online application; users report the date picker traps focus.',
    deliverables: 'A pull request that fixes focus handling, with automated accessibility tests.',
    requiredSkills: ['TypeScript', 'WCAG 2.1', 'React'],
    evaluationCriterion: 'Has shipped an accessible web component used in production.',
    acceptanceCriteria: 'Code under the MIT licence; all tests pass in CI; WCAG 2.1 AA for the component.',
    licence: 'MIT',
    repositoryUrl: 'https://github.com/example/benefits-form',
    client: {
      department: 'Employment and Social Development Canada',
      branch: 'Benefits Delivery',
      team: 'Online services',
      contactName: 'Riley Tremblay',
      contactEmail: 'riley.tremblay@example.gc.ca',
    },
    pricing: { hourlyRateCents: 8_000, estimatedHours: 40, adminHours: 10, fixedPriceCents: 400_000 },
    dates: {
      applicationDeadline: '2026-12-07',
      supplierSelectionDate: '2026-12-09',
      deliveryDate: '2027-01-29',
    },
    attestations: {
      unclassified: true,
      standalone: true,
      noInternalCapacity: true,
      notContractSplitting: true,
    },
    ...overrides,
  };
}

/** A submitted record as the store would return it. */
export function submitted(reference = 'MA-2026-0001', requester: Actor = REQUESTER): Opportunity {
  const result = submit(content(), requester, 'en', clock());
  if (!result.ok) throw new Error(`fixture does not meet the rules: ${JSON.stringify(result.refusal)}`);
  return { ...result.record, reference, version: 1 };
}

/** The same request as a person would type it into the intake card, field by field. */
export function typed(overrides: IntakeFields = {}): IntakeFields {
  return { ...fieldsFromContent(content()), ...overrides };
}
