import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { cardAction, draftsCard, intakeCard, newRequestAction, noticeCard, submittedCard } from '../../cards';
import { t } from '../../i18n';
import {
  checkStep,
  fieldsFromContent,
  firstIncompleteStep,
  FORM_STEPS,
  type FormStep,
  initialFields,
  type IntakeFields,
  isStep,
  mergeStep,
  nextStep,
  previousStep,
  type Step,
  STEPS,
  toContent,
} from '../../services/intake';
import { readLookback } from '../lookback';
import { type Opportunity, REFERENCE_PATTERN } from '../../services/opportunity';
import type { Problem } from '../../services/rules';
import { type Draft, StoreUnavailableError } from '../../services/store';
import { KeyedLock } from '../keyed-lock';
import { sameId } from '../../services/roles';
import type { ActionHandler, Deps, Handler, Reply, TurnRequest } from '../turn';

/**
 * The intake conversation: each button saves the draft and answers with the card for the next step, in
 * place. Drafts belong to the person who started them (the store keys them by their Entra id), so a
 * colleague clicking someone else's card reaches nothing.
 */

/** Drafts in progress per person: enough for real parallel work, few enough to list on one card. */
export const MAX_DRAFTS = 20;
/** How many of the branch's records the look-back reads at most. */
const SUBMITTED = 'submitted';

const DraftData = z.object({
  fields: z.record(z.string(), z.string()).default({}),
  reference: z.string().optional(),
  /** A draft that revises a request sent back for changes, rather than a new request. */
  revises: z.string().regex(REFERENCE_PATTERN).optional(),
  /** When the requester started it: the summary measures how long the text takes to write. */
  startedAt: z.iso.datetime({ offset: true }).optional().catch(undefined),
});
type DraftData = z.infer<typeof DraftData>;

/** What every button of an intake card carries: which draft, and the step whose inputs it holds. */
export const DraftStepData = z.object({
  draftId: z.uuid(),
  // A step this bot never wrote is as good as none: the draft's own step is used.
  step: z.enum(STEPS).optional().catch(undefined),
});
type DraftStepData = z.output<typeof DraftStepData>;
export const EditData = DraftStepData.extend({ target: z.enum(FORM_STEPS).catch('basics') });
/** Discarded from the list of drafts (the list stays), or from the form. */
export const DiscardData = DraftStepData.extend({ from: z.literal('list').optional().catch(undefined) });
export const ReviseData = z.object({ reference: z.string().regex(REFERENCE_PATTERN) });

const locks = new KeyedLock();
const today = (deps: Deps) => deps.clock.today();

function notice(
  req: TurnRequest,
  key: Parameters<typeof t>[1],
  extra: { style?: 'warning' | 'good' } = {},
): Reply {
  return {
    card: noticeCard({
      // Of these messages, only the drafts limit shows a count.
      title: t(req.locale, key, { count: MAX_DRAFTS }),
      lines: [],
      style: extra.style ?? 'default',
      actions: [
        newRequestAction(req.locale),
        cardAction({ title: t(req.locale, 'intake.buttons.drafts'), verb: 'intake.drafts' }),
      ],
    }),
  };
}

function dataOf(draft: Draft): DraftData {
  const parsed = DraftData.safeParse(draft.data);
  return parsed.success ? parsed.data : { fields: {} };
}

async function inProgress(req: TurnRequest, deps: Deps): Promise<Draft[]> {
  return (await deps.store.listDrafts(req.actor.id)).filter((d) => d.step !== SUBMITTED);
}

async function saveDraft(
  req: TurnRequest,
  deps: Deps,
  id: string,
  step: Step | typeof SUBMITTED,
  data: DraftData,
): Promise<void> {
  await deps.store.saveDraft({
    id,
    ownerId: req.actor.id,
    step,
    data: { ...data },
    updatedAt: deps.clock.now().toISOString(),
  });
}

/** What a deadline must leave room for: vetting (about as long as a reminder waits), the consultation, posting. */
function roomFor(deps: Deps) {
  return {
    today: deps.clock.today(),
    needs: {
      vettingDays: deps.config.reminderBusinessDays,
      consultationDays: deps.config.consultationBusinessDays,
      postingDays: deps.config.minPostingBusinessDays,
    },
  };
}

/** The card for a step; the attestations step also reads the branch's recent requests. */
async function stepCard(
  req: TurnRequest,
  deps: Deps,
  draftId: string,
  step: Step,
  fields: IntakeFields,
  problems: readonly Problem[] = [],
): Promise<Reply> {
  const branch = fields.branch?.trim() ?? '';
  const title = fields.title?.trim() ?? '';
  let lb: Parameters<typeof intakeCard>[0]['lookback'];
  if (step === 'attestations' && branch !== '') {
    const now = deps.clock.now().toISOString();
    lb = { branch, result: await readLookback(deps.store, { title, branch }, now, deps.config.branches) };
  }
  return {
    card: intakeCard({
      locale: req.locale,
      draftId,
      step,
      fields,
      problems,
      lookback: lb,
      calendar: deps.clock.calendar,
      room: roomFor(deps),
    }),
  };
}

/** The answer to a button of a draft that is not the person's, or no longer exists. */
export const draftNotFound: Handler = async (req) =>
  notice(req, 'intake.drafts.notFound', { style: 'warning' });

/** Runs `work` on the person's draft named by the card, one click at a time per draft. */
function withDraft<D extends DraftStepData>(
  work: (req: TurnRequest, deps: Deps, draft: Draft, data: DraftData, card: D) => Promise<Reply>,
): ActionHandler<D> {
  return async (req, deps, card) => {
    if (!req.actor.id) return draftNotFound(req, deps);
    const { draftId } = card;
    return locks.run(`${req.actor.id}:${draftId}`, async () => {
      const draft = await deps.store.getDraft(req.actor.id, draftId);
      if (!draft) return draftNotFound(req, deps);
      const data = dataOf(draft);
      if (draft.step === SUBMITTED) return showSubmitted(req, deps, data.reference);
      try {
        return await work(req, deps, draft, data, card);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        deps.log.warn({ err, draftId }, 'could not save an intake step');
        return unsaved(req, deps, draft, data, card);
      }
    });
  };
}

/**
 * The store failed part-way: answer with the card the person was on, holding what they typed, rather
 * than a notice that would replace the form and lose it. Pressing the button again retries.
 */
function unsaved(req: TurnRequest, deps: Deps, draft: Draft, data: DraftData, card: DraftStepData): Reply {
  const step = stepOfCard(card, draft);
  const fields = isFormStep(step) ? mergeStep(data.fields, step, req.data).fields : data.fields;
  return {
    card: intakeCard({
      locale: req.locale,
      draftId: draft.id,
      step,
      fields,
      problems: [],
      warning: t(req.locale, 'intake.unsaved'),
      calendar: deps.clock.calendar,
    }),
  };
}

/** A click on a card of a request already submitted shows the confirmation again: never a second record. */
async function showSubmitted(req: TurnRequest, deps: Deps, reference: string | undefined): Promise<Reply> {
  const record = reference ? await deps.store.get(reference) : undefined;
  if (!record) return notice(req, 'intake.drafts.notFound', { style: 'warning' });
  return confirmation(req, deps, record);
}

function confirmation(req: TurnRequest, deps: Deps, record: Opportunity): Reply {
  return {
    card: submittedCard(
      req.locale,
      record,
      fieldsFromContent(record),
      deps.config.consultationBusinessDays,
      deps.clock.calendar,
    ),
  };
}

/** The step whose inputs the clicked card carried; the draft's own step if the card says nothing valid. */
function stepOfCard(card: DraftStepData, draft: Draft): Step {
  return card.step ?? (isStep(draft.step) ? draft.step : 'basics');
}

const isFormStep = (step: Step): step is FormStep => step !== 'review';

/** What the person last gave as their client details, so a second request starts half filled in. */
async function seedFields(req: TurnRequest, deps: Deps): Promise<IntakeFields> {
  const last = (await deps.store.query({ requesterId: req.actor.id }, { limit: 1 })).items[0];
  const title = [...req.args.trim()].slice(0, 100).join('');
  return initialFields({
    contactName: req.actor.name,
    ...(last
      ? {
          department: last.client.department,
          branch: last.client.branch,
          team: last.client.team,
          contactName: last.client.contactName,
          contactEmail: last.client.contactEmail,
        }
      : {}),
    ...(title ? { title } : {}),
  });
}

export const startIntake: Handler = async (req, deps) => {
  if (!req.actor.id) return notice(req, 'intake.drafts.notFound', { style: 'warning' });
  if ((await inProgress(req, deps)).length >= MAX_DRAFTS) {
    return notice(req, 'intake.drafts.tooMany', { style: 'warning' });
  }
  const id = randomUUID();
  const fields = await seedFields(req, deps);
  await saveDraft(req, deps, id, 'basics', { fields, startedAt: deps.clock.now().toISOString() });
  return { ...(await stepCard(req, deps, id, 'basics', fields)), placement: 'new' };
};

async function draftsReply(req: TurnRequest, deps: Deps, notice?: string): Promise<Reply> {
  const drafts = await inProgress(req, deps);
  return {
    card: draftsCard(
      req.locale,
      drafts.map((d) => ({
        id: d.id,
        title: dataOf(d).fields.title ?? '',
        step: isStep(d.step) ? d.step : 'basics',
        updatedAt: d.updatedAt,
      })),
      deps.clock.calendar.timeZone,
      notice,
    ),
  };
}

export const listDrafts: Handler = async (req, deps) => ({
  ...(await draftsReply(req, deps)),
  placement: 'new',
});

export const resumeDraft = withDraft(async (req, deps, draft, data) =>
  stepCard(req, deps, draft.id, isStep(draft.step) ? draft.step : 'basics', data.fields),
);

/** Next: keep what was typed, whatever it is; move on only when the step has no problem left. */
export const nextIntakeStep = withDraft(async (req, deps, draft, data, card) => {
  const step = stepOfCard(card, draft);
  if (!isFormStep(step)) return stepCard(req, deps, draft.id, step, data.fields);
  const merged = mergeStep(data.fields, step, req.data);
  const problems = firstPerField([...merged.problems, ...checkStep(step, merged.fields, today(deps))]);
  const goTo = problems.length > 0 ? step : nextStep(step);
  await saveDraft(req, deps, draft.id, goTo, { ...data, fields: merged.fields });
  return stepCard(req, deps, draft.id, goTo, merged.fields, problems);
});

/** Back: keep what was typed on this step without judging it yet. */
export const previousIntakeStep = withDraft(async (req, deps, draft, data, card) => {
  const step = stepOfCard(card, draft);
  const merged = isFormStep(step)
    ? mergeStep(data.fields, step, req.data)
    : { fields: data.fields, problems: [] };
  const goTo = previousStep(step);
  await saveDraft(req, deps, draft.id, goTo, { ...data, fields: merged.fields });
  return stepCard(req, deps, draft.id, goTo, merged.fields);
});

/** Edit, from the review: open the chosen step with its values. */
export const editIntakeStep = withDraft<z.output<typeof EditData>>(async (req, deps, draft, data, card) => {
  const { target } = card;
  await saveDraft(req, deps, draft.id, target, data);
  return stepCard(req, deps, draft.id, target, data.fields, checkStep(target, data.fields, today(deps)));
});

export const discardDraft: ActionHandler<z.output<typeof DiscardData>> = async (req, deps, card) => {
  if (!req.actor.id) return draftNotFound(req, deps);
  return locks.run(`${req.actor.id}:${card.draftId}`, async () => {
    const draft = await deps.store.getDraft(req.actor.id, card.draftId);
    // A submitted request is on record: discarding its draft would only lose the way back to it.
    if (draft?.step === SUBMITTED) return showSubmitted(req, deps, dataOf(draft).reference);
    const deleted = await deps.store.deleteDraft(req.actor.id, card.draftId);
    const said = t(req.locale, deleted ? 'intake.drafts.discarded' : 'intake.drafts.notFound');
    // From the list, the list stays, one shorter; from the form, the form gives way to the notice.
    if (card.from === 'list') return draftsReply(req, deps, said);
    return notice(req, deleted ? 'intake.drafts.discarded' : 'intake.drafts.notFound');
  });
};

/**
 * Submit: every step is checked again (dates move on; rules may have changed), the record is created with
 * the draft as its idempotency key, and the draft becomes a marker pointing at the record, so any later
 * click on this card shows the confirmation instead of creating anything.
 */
export const submitIntake = withDraft(async (req, deps, draft, data) => {
  const day = today(deps);
  const incomplete = firstIncompleteStep(data.fields, day);
  if (incomplete) {
    await saveDraft(req, deps, draft.id, incomplete.step, data);
    return stepCard(req, deps, draft.id, incomplete.step, data.fields, incomplete.problems);
  }
  const content = toContent(data.fields, day);
  if (data.revises) return resubmitRevision(req, deps, draft, data.revises, content);
  const outcome = await deps.change({
    kind: 'create',
    actor: req.actor,
    content,
    locale: req.locale,
    ...(data.startedAt ? { draftStartedAt: data.startedAt } : {}),
    idempotencyKey: `draft:${req.actor.id}:${draft.id}`,
  });
  if (outcome.kind !== 'applied') {
    // The step checks mirror the lifecycle's rules; this is reached only if the two ever disagree.
    deps.log.error({ outcome: outcome.kind, draftId: draft.id }, 'a complete draft was refused on submit');
    return stepCard(req, deps, draft.id, 'review', data.fields);
  }
  const { record } = outcome;
  await saveDraft(req, deps, draft.id, SUBMITTED, { fields: {}, reference: record.reference });
  await deps.store.saveConversation(`request:${record.reference}`, req.conversationReference);
  return confirmation(req, deps, record);
});

/**
 * "Edit and resubmit" on a request sent back for changes: the request's own content becomes a draft the
 * requester edits with the same steps and checks, opened at the review with what was asked.
 */
export const reviseRequest: ActionHandler<z.output<typeof ReviseData>> = async (req, deps, { reference }) => {
  const o = await deps.store.get(reference);
  if (!o || !sameId(o.requester.aadObjectId, req.actor.id) || o.status !== 'changes_requested') {
    return notice(req, 'intake.revise.notNow', { style: 'warning' });
  }
  const id = randomUUID();
  const fields = fieldsFromContent(o);
  await saveDraft(req, deps, id, 'review', { fields, revises: o.reference });
  return {
    card: intakeCard({
      locale: req.locale,
      draftId: id,
      step: 'review',
      fields,
      problems: [],
      warning: t(req.locale, 'intake.revise.asked', { reference: o.reference }),
      quote: o.decisionNote ?? '',
      calendar: deps.clock.calendar,
    }),
  };
};

/** The revision is a change like any other: it takes the change path, as the requester. */
async function resubmitRevision(
  req: TurnRequest,
  deps: Deps,
  draft: Draft,
  reference: string,
  content: unknown,
): Promise<Reply> {
  const outcome = await deps.change({
    kind: 'decide',
    actor: req.actor,
    reference,
    action: 'resubmit',
    payload: { content },
  });
  if (outcome.kind !== 'applied') return notice(req, 'intake.revise.notNow', { style: 'warning' });
  await saveDraft(req, deps, draft.id, SUBMITTED, { fields: {}, reference });
  return confirmation(req, deps, outcome.record);
}

/** The answer to a revise button that names no request. */
export const reviseNotNow: Handler = async (req) => notice(req, 'intake.revise.notNow', { style: 'warning' });

function firstPerField(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(p.field) ? false : (seen.add(p.field), true)));
}
