import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { fieldsFromContent, fieldsOf } from '../src/services/intake';
import { everyRecord } from '../src/services/store';
import { contentAt, newOpportunity, submittedAudit } from './contract/fixtures';
import { type Deployment, type DeploymentKind, ON_POSTGRES_REPLICAS, ON_SQLITE } from './support/deployments';
import { person } from './support/opportunities';
import {
  activity,
  Connector,
  PEOPLE,
  ROLE_ENV,
  type Sent,
  textOf,
  cardAction,
  CHECKED,
} from './support/teams';

/**
 * Crash safety, in each deployment: one process on a SQLite file, and two replicas on one PostgreSQL
 * database behind a round-robin proxy. 240 submissions, decisions and intake steps arrive at once, and a
 * process is killed (SIGKILL: no shutdown, no flush) a third of the way through. After a restart, Teams
 * delivers again what was not answered (same activity ids, as it does), to whichever replica the proxy
 * picks. Everything answered before the kill is there exactly once, everything redelivered is applied
 * exactly once, no draft is lost, and every queued status message reaches Teams.
 */

const REQUESTERS = 10;
const PER_REQUESTER = { submissions: 10, decisions: 10, steps: 4 };

interface Sending {
  readonly kind: 'submit' | 'decide' | 'step';
  readonly body: Record<string, unknown>;
  /** What the submit is for, the record decided on, or the draft changed. */
  readonly target: string;
  readonly owner: string;
  answer?: Record<string, unknown>;
}

/** A message as the outbox stored it and as the connector received it, whatever the key order. */
function signature(method: string, a: Record<string, unknown>): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return `${method} ${JSON.stringify(canonical({ text: a.text ?? null, attachments: a.attachments ?? null }))}`;
}

for (const deployment of [ON_SQLITE, ON_POSTGRES_REPLICAS]) describeCrash(deployment);

function describeCrash(kind: DeploymentKind): void {
  describe(`a crash in the middle of the work, ${kind.name}`, function () {
    this.timeout(240_000);
    let connector: Connector;
    let bot: Deployment;
    const requesterOf = (i: number) => ({
      id: `29:crash-${i}`,
      aadObjectId: `aad-crash-${i}`,
      name: `Requester ${i}`,
    });

    beforeEach(async () => {
      bot = await kind.make();
      connector = await Connector.start();
    });

    afterEach(async () => {
      await bot.stop();
      await connector.close();
    });

    /** Drafts ready to submit, drafts half-way, and submitted records waiting for procurement. */
    const seed = async (): Promise<{ drafts: string[][]; halfway: string[][]; records: string[][] }> => {
      const store = await bot.openStore();
      const now = new Date().toISOString();
      const fields = fieldsFromContent(contentAt(now));
      const drafts: string[][] = [];
      const halfway: string[][] = [];
      const records: string[][] = [];
      for (let i = 0; i < REQUESTERS; i++) {
        const owner = requesterOf(i).aadObjectId;
        const save = async (step: string) => {
          const id = randomUUID();
          await store.saveDraft({ id, ownerId: owner, step, data: { fields }, updatedAt: now });
          return id;
        };
        drafts.push(
          await Promise.all(Array.from({ length: PER_REQUESTER.submissions }, () => save('review'))),
        );
        halfway.push(await Promise.all(Array.from({ length: PER_REQUESTER.steps }, () => save('basics'))));
        const mine: string[] = [];
        for (let k = 0; k < PER_REQUESTER.decisions; k++) {
          const record = newOpportunity({ at: now, requester: person(owner) });
          mine.push((await store.create(record, submittedAudit(record), `seed-${i}-${k}`)).reference);
        }
        records.push(mine);
      }
      await store.close();
      return { drafts, halfway, records };
    };

    const invoke = (
      from: { id: string; aadObjectId: string; name: string },
      verb: string,
      data: Record<string, unknown>,
    ) => cardAction({ serviceUrl: connector.url, from }, verb, data);

    const send = async (base: string, s: Sending): Promise<boolean> => {
      try {
        const res = await fetch(`${base}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(s.body),
        });
        if (res.status !== 200) return false;
        s.answer = ((await res.json()) as { value: Record<string, unknown> }).value;
        return true;
      } catch {
        return false; // the process died with the request in flight
      }
    };

    it('keeps every answered submission, decision and draft exactly once, and delivers every queued message', async () => {
      const { drafts, halfway, records } = await seed();
      let base = await bot.start({ SCHEDULER_INTERVAL_SECONDS: '1', ...ROLE_ENV });

      // Each requester has talked to the bot, so status messages have somewhere to go.
      for (let i = 0; i < REQUESTERS; i++) {
        const from = requesterOf(i);
        const res = await fetch(`${base}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(activity('message', { serviceUrl: connector.url, from }, { text: 'help' })),
        });
        assert.equal(res.status, 200);
      }

      const work: Sending[] = [];
      for (let i = 0; i < REQUESTERS; i++) {
        const from = requesterOf(i);
        for (const draftId of drafts[i] ?? []) {
          work.push({
            kind: 'submit',
            body: invoke(from, 'intake.submit', { draftId }),
            target: draftId,
            owner: from.aadObjectId,
          });
        }
        for (const draftId of halfway[i] ?? []) {
          const title = `Retitled ${draftId.slice(0, 8)}`;
          const values = Object.fromEntries(
            fieldsOf('basics').map((f) => [
              f,
              f === 'title' ? title : (fieldsFromContent(contentAt(new Date().toISOString()))[f] ?? ''),
            ]),
          );
          work.push({
            kind: 'step',
            body: invoke(from, 'intake.next', { draftId, step: 'basics', ...values }),
            target: draftId,
            owner: from.aadObjectId,
          });
        }
        for (const reference of records[i] ?? []) {
          work.push({
            kind: 'decide',
            body: invoke(PEOPLE.procurement, 'decide', {
              reference,
              version: 1,
              action: 'vet_go',
              ...CHECKED,
            }),
            target: reference,
            owner: from.aadObjectId,
          });
        }
      }
      // Interleaved, as people and teams act at the same time.
      work.sort(() => Math.random() - 0.5);

      let answered = 0;
      let killed: Promise<void> | undefined;
      const killAt = Math.floor(work.length / 3);
      await Promise.all(
        work.map(async (s) => {
          if (await send(base, s)) {
            answered++;
            if (answered === killAt) killed = bot.kill();
          }
        }),
      );
      await killed;
      await connector.quiet();
      const answeredBeforeCrash = work.filter((s) => s.answer);
      assert.ok(answeredBeforeCrash.length >= killAt, `${answeredBeforeCrash.length} answered`);
      assert.ok(answeredBeforeCrash.length < work.length, 'the kill came before the end of the work');

      // Messages Teams had accepted from the killed process before it could mark them sent: a send and its
      // mark cannot be one step, so these are sent again after the restart. (Another replica still
      // working marks its own.)
      const held = (await bot.outbox()).filter((r) => r.heldByKilled);
      const received = new Set(
        connector.sent.filter((s) => s.status === 200).map((s) => signature(s.method, s.body)),
      );
      const inFlight = new Set(
        held
          .map((r) => signature(r.kind === 'post' ? 'POST' : 'PUT', r.activity))
          .filter((sig) => received.has(sig)),
      );

      // Restart; Teams redelivers what got no answer, and some answered ones too (answers lost on the way).
      base = await bot.recover();
      const before = new Map(answeredBeforeCrash.map((s) => [s, s.answer]));
      const redelivered = [...work.filter((s) => !s.answer), ...answeredBeforeCrash.slice(0, 20)];
      await Promise.all(redelivered.map((s) => send(base, s)));
      for (const s of work) assert.ok(s.answer, `${s.kind} ${s.target} answered after the restart`);
      for (const [s, first] of before)
        assert.deepEqual(s.answer, first, `${s.kind} ${s.target}: same answer again`);

      // Read what the bot holds, with the bot stopped.
      await waitForOutbox(bot);
      await bot.stop();
      const store = await bot.openStore();
      try {
        // Submissions: one record per draft, with the reference its answer gave.
        const all = [];
        for await (const o of everyRecord(store, {})) all.push(o);
        const seeded = REQUESTERS * PER_REQUESTER.decisions;
        assert.equal(all.length, seeded + REQUESTERS * PER_REQUESTER.submissions);
        for (const s of work.filter((w) => w.kind === 'submit')) {
          const reference = /MA-\d{4}-\d{4,}/.exec(textOf(s.answer))?.[0];
          assert.ok(reference, textOf(s.answer));
          const draft = await store.getDraft(s.owner, s.target);
          assert.equal(draft?.step, 'submitted');
          assert.equal(draft?.data.reference, reference);
          assert.equal((await store.get(reference))?.requester.aadObjectId, s.owner);
        }
        // Decisions: applied once each, whatever was answered, lost or delivered again.
        for (const s of work.filter((w) => w.kind === 'decide')) {
          const trail = await store.auditTrail(s.target);
          assert.equal(
            trail.filter((e) => e.outcome === 'applied' && e.action === 'vet_go').length,
            1,
            s.target,
          );
          assert.equal((await store.get(s.target))?.status, 'in_approval');
        }
        // Drafts: every step answered is kept, and no draft is gone.
        for (const s of work.filter((w) => w.kind === 'step')) {
          const draft = await store.getDraft(s.owner, s.target);
          assert.equal(draft?.step, 'work', s.target);
          assert.equal(
            (draft?.data.fields as Record<string, string>).title,
            `Retitled ${s.target.slice(0, 8)}`,
          );
        }
        for (let i = 0; i < REQUESTERS; i++) {
          const kept = await store.listDrafts(requesterOf(i).aadObjectId);
          assert.equal(kept.length, PER_REQUESTER.submissions + PER_REQUESTER.steps);
        }
      } finally {
        await store.close();
      }

      // Status messages: each queued one reached Teams once; one Teams had accepted at the very moment of
      // the kill reached it twice.
      const rows = await bot.outbox();
      // One line to its requester per decision (no channel is registered, so no cards): none missing.
      assert.equal(rows.length, REQUESTERS * PER_REQUESTER.decisions, `${rows.length} messages queued`);
      const deliveries = new Map<string, number>();
      for (const s of connector.sent.filter((x: Sent) => x.status === 200)) {
        const sig = signature(s.method, s.body);
        deliveries.set(sig, (deliveries.get(sig) ?? 0) + 1);
      }
      for (const row of rows) {
        assert.equal(row.state, 'sent', row.id);
        const sig = signature(row.kind === 'post' ? 'POST' : 'PUT', row.activity);
        assert.equal(deliveries.get(sig), inFlight.has(sig) ? 2 : 1, `${row.id} delivered`);
      }
      assert.ok(inFlight.size <= 4, `${inFlight.size} messages were in flight at the kill`);
    });
  });
}

/**
 * Waits until every saved change has its messages queued and the outbox has sent them all. After a
 * restart the catch-up may come late: a restarted process takes the scheduler's lease over from the
 * killed one only once that lease runs out.
 */
async function waitForOutbox(bot: Deployment): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const untold = await bot.changesUntold();
    const pending = (await bot.outbox()).filter((r) => r.state === 'pending').length;
    if (untold === 0 && pending === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${untold} changes without their messages, ${pending} messages still waiting`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
