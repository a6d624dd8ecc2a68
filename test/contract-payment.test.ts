import { strict as assert } from 'node:assert';
import type { Opportunity, Status } from '../src/services/opportunity';
import { newOpportunity, submittedAudit } from './contract/fixtures';
import type { Card } from './support/cards';
import { PDF_BYTES, pdfAttachment } from './support/documents';
import { person, TERMS } from './support/opportunities';
import {
  activity,
  cardAction,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  textOf,
  type TestBot,
} from './support/teams';

/**
 * From the signed terms to the payment as the people involved do it in Teams: the documents kept with a
 * request, a termination for convenience paid its share, and the clock's review of a late delivery.
 */

type Who = (typeof PEOPLE)[keyof typeof PEOPLE];

describe('the contract and its payment', function () {
  this.timeout(30_000);
  let connector: Connector;
  let bot: TestBot;
  let now: Date;

  beforeEach(async () => {
    now = new Date('2027-01-20T15:00:00Z');
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => now, background: false });
    for (const p of [PEOPLE.requester, PEOPLE.procurement, PEOPLE.finance, PEOPLE.finance2])
      await post(bot, activity('message', { serviceUrl: connector.url, from: p }, { text: 'help' }));
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  /** A request brought straight to `status`, with what the record holds by then. */
  let seeded = 0;
  const at = async (status: Status, patch: Partial<Opportunity> = {}): Promise<Opportunity> => {
    const o = newOpportunity({
      at: '2026-11-23T15:00:00.000Z',
      requester: person(PEOPLE.requester.aadObjectId),
    });
    const created = await bot.store.create(o, submittedAudit(o), `seed-${++seeded}`);
    return bot.store.transition(
      {
        ...created,
        status,
        version: created.version + 1,
        finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-7' },
        selection: { ...created.selection, applications: 3, passed: 2, supplierName: 'Ada Dev' },
        ...patch,
      },
      created.version,
      {
        at: now.toISOString(),
        actor: { aadObjectId: 'system', name: 'Microacq' },
        action: 'prepare',
        outcome: 'applied',
      },
    );
  };

  const say = async (from: Who, text: string, attachments: object[] = []): Promise<string> => {
    const before = connector.sent.length;
    await post(bot, activity('message', { serviceUrl: connector.url, from }, { text, attachments }));
    return textOf(cardOf((await connector.waitFor(before + 1)).at(-1)));
  };
  const decide = async (
    from: Who,
    reference: string,
    action: string,
    values: object = {},
  ): Promise<string> => {
    const o = await bot.store.get(reference);
    const res = await post(
      bot,
      cardAction({ serviceUrl: connector.url, from }, 'decide', {
        reference,
        version: String(o?.version),
        action,
        ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`${action}.${k}`, v])),
      }),
    );
    return textOf(((await res.json()) as { value: Card }).value);
  };

  describe('documents kept with a request', () => {
    it('keeps the signed terms procurement sends, once however often they are sent, and in the history', async () => {
      const o = await at('supplier_selected');
      const first = await say(PEOPLE.procurement, `attach ${o.reference} terms`, [
        pdfAttachment('Terms signed.pdf'),
      ]);
      assert.match(first, /Signed terms kept: Terms signed\.pdf/, first);
      await say(PEOPLE.procurement, `attach ${o.reference} terms`, [pdfAttachment('Terms signed.pdf')]);
      const kept = await bot.server.documents.list(o.reference);
      assert.equal(kept.length, 1);
      assert.deepEqual((await bot.server.documents.read(kept[0]?.id ?? ''))?.bytes, PDF_BYTES);
      assert.match(await say(PEOPLE.procurement, `history ${o.reference}`), /kept the signed terms/);
      // The terms recorded next name that document.
      await decide(PEOPLE.procurement, o.reference, 'sign_terms', {
        contractor: 'Ada Dev',
        work: 'The date picker',
        startDate: '2027-01-20',
        endDate: '2027-02-26',
        licence: 'MIT',
      });
      assert.equal((await bot.store.get(o.reference))?.terms?.document?.name, 'Terms signed.pdf');
    });

    it('takes the French words, and keeps the invoice finance sends once the work is accepted', async () => {
      const o = await at('accepted');
      const answer = await say(PEOPLE.finance, `joindre ${o.reference} facture`, [
        pdfAttachment('facture-7.pdf'),
      ]);
      assert.match(answer, /Invoice kept: facture-7\.pdf/, answer);
    });

    for (const [rule, who, status, text, files, expected] of [
      [
        'refuses someone who is neither procurement nor finance',
        PEOPLE.requester,
        'supplier_selected',
        'terms',
        1,
        /Only procurement or finance/,
      ],
      [
        'refuses the terms before a supplier is selected',
        PEOPLE.procurement,
        'in_approval',
        'terms',
        1,
        /once a supplier is selected/,
      ],
      [
        'refuses an invoice before the work is accepted',
        PEOPLE.finance,
        'in_progress',
        'invoice',
        1,
        /once the work is accepted/,
      ],
      [
        'asks for the file when none came with the message',
        PEOPLE.procurement,
        'supplier_selected',
        'terms',
        0,
        /No file came with the message/,
      ],
      [
        'explains the command when the kind of document is missing',
        PEOPLE.procurement,
        'supplier_selected',
        '',
        1,
        /attach MA-2026-0042 terms/,
      ],
    ] as const) {
      it(rule, async () => {
        const o = await at(status);
        const attachments = files ? [pdfAttachment('terms.pdf')] : [];
        assert.match(await say(who, `attach ${o.reference} ${text}`.trim(), attachments), expected);
        assert.deepEqual(await bot.server.documents.list(o.reference), []);
      });
    }

    it('refuses a file that is not what its name says, keeping nothing', async () => {
      const o = await at('supplier_selected');
      const fake = pdfAttachment('terms.pdf', Buffer.from('MZ this is a program'));
      assert.match(
        await say(PEOPLE.procurement, `attach ${o.reference} terms`, [fake]),
        /Only a PDF, PNG, JPEG or Word/,
      );
      assert.deepEqual(await bot.server.documents.list(o.reference), []);
    });
  });

  it('pays a termination for convenience its share once the requester agrees, invoiced and certified', async () => {
    const o = await at('in_progress', {
      terms: { ...TERMS, countersignedBy: { aadObjectId: 'f', name: 'F' } },
    });
    const refused = await decide(PEOPLE.procurement, o.reference, 'terminate', {
      kind: 'convenience',
      reason: 'Priorities changed',
    });
    assert.match(refused, /needs the share of the work completed/);
    const proposed = await decide(PEOPLE.procurement, o.reference, 'terminate', {
      kind: 'convenience',
      percentComplete: '40',
      reason: 'Priorities changed',
    });
    // 40 % of the $4,000 price.
    assert.match(
      proposed,
      /40 % of the work completed, \$1,600\.00 before tax, waiting for the requester’s agreement/,
      proposed,
    );
    assert.equal((await bot.store.get(o.reference))?.status, 'in_progress');
    assert.match(await decide(PEOPLE.requester, o.reference, 'agree_termination'), /· accepted/);
    const invoice = {
      invoiceNumber: 'INV-40',
      invoiceDate: '2027-01-20',
      taxes: '208',
      fundReservationNumber: 'FR-7',
    };
    assert.match(
      await decide(PEOPLE.finance, o.reference, 'record_invoice', {
        ...invoice,
        amount: '4000',
        taxes: '520',
        total: '4520',
      }),
      /more than the price agreed/,
    );
    await decide(PEOPLE.finance, o.reference, 'record_invoice', {
      ...invoice,
      amount: '1600',
      total: '1808',
    });
    await decide(PEOPLE.finance, o.reference, 'certify');
    const paid = await decide(PEOPLE.finance2, o.reference, 'pay', {
      method: 'credit_card',
      paymentAmount: '1808',
      paymentDate: '2027-01-20',
    });
    assert.match(paid, /· paid/, paid);
    const record = await bot.store.get(o.reference);
    assert.deepEqual(
      [record?.status, record?.delivery.termination?.kind, record?.finance.paymentAmountCents],
      ['paid', 'convenience', 180_800],
    );
  });

  it('opens a non-delivery review once the delivery date is over, and procurement gets its card', async () => {
    const o = await at('in_progress', {
      dates: {
        applicationDeadline: '2026-12-07',
        supplierSelectionDate: '2026-12-09',
        deliveryDate: '2027-01-19',
      },
    });
    await say(PEOPLE.procurement, 'help');
    const before = connector.sent.length;
    await bot.server.tick();
    const record = await bot.store.get(o.reference);
    assert.equal(record?.delivery.reviewOpenedOn, '2027-01-20');
    const events = (await bot.store.auditTrail(o.reference)).map((e) => e.action);
    assert.ok(events.includes('open_review'));
    // Once: the next tick opens nothing more.
    await bot.server.tick();
    assert.equal(
      (await bot.store.auditTrail(o.reference)).filter((e) => e.action === 'open_review').length,
      1,
    );
    assert.ok(connector.sent.length >= before);
  });
});
