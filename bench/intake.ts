import { fieldsOf, type FormStep } from '../src/services/intake';
import { newOpportunity } from '../test/contract/fixtures';
import { NOW, typed } from '../test/support/opportunities';
import { activity, Connector, post, startTestBot } from '../test/support/teams';

/**
 * `npm run bench` (second part): how long a person waits for each intake step, end to end through
 * POST /api/messages (restify, CloudAdapter, the route table, the store, the card), with a branch that
 * already holds many requests for the look-back to read. Baseline, same run, same path: the help
 * button, which reads nothing from the store. Teams gives an invoke 5 seconds.
 */

const N = Number(process.env.BENCH_INTAKE_N ?? 300);
const BRANCH_RECORDS = Number(process.env.BENCH_BRANCH_RECORDS ?? 2_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function benchIntake(): Promise<void> {
  const connector = await Connector.start();
  const bot = await startTestBot({}, { now: () => new Date(NOW) });
  for (let i = 0; i < BRANCH_RECORDS; i++) {
    const title = i % 10 === 0 ? `Accessible date picker, phase ${i}` : `Payroll export ${i}`;
    await bot.store.create(
      newOpportunity({ title }),
      {
        at: NOW,
        actor: { aadObjectId: 'seed', name: 'Seed' },
        action: 'submit',
        outcome: 'applied',
      },
      `seed-${i}`,
    );
  }

  const invoke = async (verb: string, data: Record<string, unknown>): Promise<unknown> => {
    const res = await post(
      bot,
      activity(
        'invoke',
        { serviceUrl: connector.url },
        { name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } } },
      ),
    );
    if (res.status !== 200) throw new Error(`${verb} answered ${res.status}`);
    return ((await res.json()) as { value: unknown }).value;
  };
  const draftIdOf = (card: unknown) => /"draftId":"([0-9a-f-]{36})"/.exec(JSON.stringify(card))?.[1] ?? '';

  const timings = new Map<string, number[]>();
  const time = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = process.hrtime.bigint();
    const result = await work();
    const list = timings.get(name) ?? [];
    list.push(Number(process.hrtime.bigint() - t0) / 1e6);
    timings.set(name, list);
    return result;
  };
  const fields = typed();
  const stepData = (step: FormStep) => Object.fromEntries(fieldsOf(step).map((f) => [f, fields[f] ?? '']));

  for (let i = 0; i < N; i++) {
    await time('baseline: help button', () => invoke('help.show', {}));
    // "New request" posts the form below the clicked card: its draft id is in what was sent.
    await time('new request', () => invoke('intake.new', {}));
    const draftId = draftIdOf(connector.sent[connector.sent.length - 1]?.body);
    for (const step of ['basics', 'work', 'pricing', 'attestations'] as const) {
      const label = step === 'pricing' ? 'pricing → attestations (look-back)' : `${step} → next`;
      await time(label, () => invoke('intake.next', { draftId, step, ...stepData(step) }));
    }
    await time('submit', () => invoke('intake.submit', { draftId }));
  }

  console.log(
    `\nIntake steps through POST /api/messages, ${N} requests each, ${BRANCH_RECORDS} records in the branch (ms)`,
  );
  console.log('step                               |    p50 |    p99 | p99 / baseline p99');
  const baseline = [...(timings.get('baseline: help button') ?? [])].sort((a, b) => a - b);
  for (const [name, list] of timings) {
    const sorted = [...list].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(34)} | ${percentile(sorted, 50).toFixed(2).padStart(6)} | ${percentile(sorted, 99).toFixed(2).padStart(6)} | ${(percentile(sorted, 99) / percentile(baseline, 99)).toFixed(1).padStart(6)}`,
    );
  }
  await bot.server.stop();
  await connector.close();
}
