import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { STATUSES, type Opportunity } from '../../src/services/opportunity';
import { formatMoney } from '../../src/i18n/format';
import { storeAwarded, storePosted } from '../support/published';
import { startTestBot, type TestBot } from '../support/teams';
import { newOpportunity, submittedAudit } from '../contract/fixtures';

/** The public site over real HTTP: what suppliers read, and what they never may. */

const withoutPosted = ({ posted: _posted, ...rest }: Opportunity['timeline']) => rest;

describe('the public opportunity pages', function () {
  this.timeout(20_000);
  let bot: TestBot;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${bot.server.url}${path}`, { redirect: 'manual', headers });
  const text = async (path: string) => {
    const res = await get(path);
    return { res, body: await res.text() };
  };

  beforeEach(async () => {
    bot = await startTestBot({}, { now: () => new Date('2026-03-05T15:00:00Z'), background: false });
  });
  afterEach(async () => bot.server.stop());

  it('shows a posted request in English and in French, one reference, in the pilot’s structure', async () => {
    const o = await storePosted(bot.store);
    const en = await text(`/en/opportunities/${o.reference}`);
    assert.equal(en.res.status, 200);
    assert.match(en.res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    for (const expected of [
      '<html lang="en">',
      '<h1>Accessible date picker for the benefits form</h1>',
      'TypeScript, WCAG 2.1, React',
      '$4,000.00 (excluding taxes)',
      'Monday, March 16, 2026, 11:59 p.m. Eastern Time',
      'Wednesday, March 18, 2026',
      'Friday, May 1, 2026',
      '<h2>Background</h2>',
      '<h2>Opportunity</h2>',
      '<h2>Application evaluation</h2>',
      'Has shipped an accessible web component used in production.',
      'Anyone may apply',
      '<h2>Work acceptance criteria</h2>',
      'The code is delivered under the licence MIT.',
      `hreflang="fr" href="/fr/possibilites/${o.reference}"`,
      `lang-href="/fr/possibilites/${o.reference}"`,
    ]) {
      assert.ok(en.body.includes(expected), `missing: ${expected}`);
    }
    const fr = await text(`/fr/possibilites/${o.reference}`);
    assert.equal(fr.res.status, 200);
    for (const expected of [
      '<html lang="fr">',
      '<h1>Sélecteur de date accessible pour le formulaire de prestations</h1>',
      `${formatMoney(400_000, 'fr')} (taxes en sus)`,
      'lundi 16 mars 2026 à 23 h 59, heure de l’Est',
      '<h2>Contexte</h2>',
      '<h2>Évaluation des candidatures</h2>',
      '<h2>Critères d’acceptation du travail</h2>',
      `hreflang="en" href="/en/opportunities/${o.reference}"`,
    ]) {
      assert.ok(fr.body.includes(expected), `missing: ${expected}`);
    }
  });

  it('publishes nothing before post: every earlier state is not found, in the page’s language', async () => {
    const input = newOpportunity();
    const draft = await bot.store.create(input, submittedAudit(input), 'unposted');
    for (const path of [`/en/opportunities/${draft.reference}`, `/fr/possibilites/${draft.reference}`]) {
      const { res, body } = await text(path);
      assert.equal(res.status, 404);
      assert.doesNotMatch(body, /Accessible date picker|Sélecteur/);
    }
    assert.match((await text(`/fr/possibilites/${draft.reference}`)).body, /Nous ne trouvons pas/);
    const list = await text('/en/opportunities');
    assert.doesNotMatch(list.body, new RegExp(draft.reference));
    assert.match(list.body, /No opportunity is open right now/);
  });

  it('never shows what is internal: fund reservation, cost centre, requester, contact, union exchange, notes', async () => {
    const o = await storePosted(bot.store);
    const pages = [
      `/en/opportunities/${o.reference}`,
      `/fr/possibilites/${o.reference}`,
      '/en/opportunities',
      '/fr/possibilites',
      '/en/opportunities/feed.xml',
      '/fr/possibilites/feed.xml',
    ];
    for (const path of pages) {
      const { body } = await text(path);
      for (const secret of [
        'FR-SECRET-7731',
        'CC-HIDDEN-4410',
        'UNION-CONCERN-TEXT',
        'UNION-ANSWER-TEXT',
        'INTERNAL-NOTE',
        o.requester.name,
        o.requester.aadObjectId,
        o.client.contactEmail,
        o.client.contactName,
        'Priya Raman',
        'hourly',
      ]) {
        assert.ok(!body.includes(secret), `${path} shows ${secret}`);
      }
    }
  });

  it('escapes everything a requester typed, in pages and in the feed', async () => {
    const o = await storePosted(bot.store, (p) => ({
      title: '<script>alert(1)</script> & "quotes"',
      background: '<img src=x onerror=alert(2)>\n\nSecond paragraph',
      requiredSkills: ['<b>bold</b>'],
      translationConfirmed: false,
      translation: undefined,
      locale: p.locale,
    }));
    const page = await text(`/en/opportunities/${o.reference}`);
    assert.ok(!page.body.includes('<script>alert'));
    assert.ok(!page.body.includes('<img src=x'));
    assert.ok(!page.body.includes('<b>bold'));
    assert.ok(page.body.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;'));
    assert.ok(page.body.includes('<p>Second paragraph</p>'));
    const feed = await text('/en/opportunities/feed.xml');
    assert.ok(XMLValidator.validate(feed.body) === true, 'the feed is well-formed XML');
    assert.ok(!feed.body.includes('<script>'));
  });

  it('says, on the page in the other language, that the text is not translated yet', async () => {
    const o = await storePosted(bot.store, () => ({ translation: undefined, translationConfirmed: false }));
    const fr = await text(`/fr/possibilites/${o.reference}`);
    assert.match(fr.body, /pas encore entièrement traduite en français/);
    assert.match(fr.body, /Accessible date picker/);
    assert.doesNotMatch((await text(`/en/opportunities/${o.reference}`)).body, /not fully translated/);
  });

  it('marks each update: an extended deadline keeps the date first published, then closing, award and delivery', async () => {
    // Its vetting, before the post, is not an update suppliers are told of.
    const o = await storeAwarded(bot.store);
    const { body } = await text(`/en/opportunities/${o.reference}`);
    assert.match(body, /Monday, March 23, 2026, 11:59 p\.m\. Eastern Time/);
    assert.match(body, /extended; first published as Monday, March 16, 2026/);
    assert.match(body, /<dd><a href="https:\/\/ada\.example\/" rel="external">Awarded to Ada Dev<\/a><\/dd>/);
    const updates = [...body.matchAll(/Update · ([^<]+)<\/strong\s*>\s*— ([^<]+)</g)].map((m) => [
      m[1]?.trim(),
      m[2]?.trim(),
    ]);
    assert.deepEqual(updates, [
      ['Wednesday, March 25, 2026', 'The work was awarded.'],
      ['Tuesday, March 24, 2026', 'Applications are closed.'],
      ['Tuesday, March 10, 2026', 'The application deadline was extended.'],
    ]);
    const list = await text('/en/opportunities');
    assert.match(
      list.body,
      /Closed<\/h2>[\s\S]*MA-2026-\d{4} · \$4,000\.00 · closed Monday, March 23, 2026 · Awarded/,
    );
  });

  it('lists open opportunities first and the closed ones after, each linked to its page', async () => {
    const open = await storePosted(bot.store);
    const cancelled = await storePosted(bot.store, (p) => ({
      status: 'cancelled',
      eventAt: { ...p.eventAt, cancelled: '2026-03-04T14:00:00.000Z' },
    }));
    const { body } = await text('/fr/possibilites');
    const openAt = body.indexOf(`href="/fr/possibilites/${open.reference}"`);
    const closedAt = body.indexOf(`href="/fr/possibilites/${cancelled.reference}"`);
    assert.ok(openAt > 0 && closedAt > openAt, 'open first, then closed');
    assert.ok(body.indexOf('Ouvertes aux candidatures') < openAt);
    assert.ok(body.indexOf('Fermées') < closedAt && body.indexOf('Fermées') > openAt);
    assert.match(body, /Annulée/);
    assert.match(body, /href="\/fr\/possibilites\/feed\.xml"/);
  });

  it('offers an Atom feed per language with one entry per published opportunity', async () => {
    const a = await storePosted(bot.store);
    const b = await storePosted(bot.store);
    for (const [path, title] of [
      ['/en/opportunities/feed.xml', 'Accessible date picker for the benefits form'],
      ['/fr/possibilites/feed.xml', 'Sélecteur de date accessible pour le formulaire de prestations'],
    ] as const) {
      const { res, body } = await text(path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/atom\+xml/);
      assert.equal(XMLValidator.validate(body), true);
      const feed = new XMLParser({ ignoreAttributes: false }).parse(body).feed;
      const entries = [feed.entry].flat();
      assert.equal(entries.length, 2);
      assert.deepEqual(
        entries.map((e: { title: string }) => e.title),
        [title, title],
      );
      const origin = bot.config.site.publicUrl;
      assert.ok(entries.every((e: { id: string }) => e.id.startsWith(`${origin}/`)));
      assert.ok(String(entries[0].id).endsWith(b.reference));
      assert.ok(String(entries[1].id).endsWith(a.reference));
    }
  });

  it('answers not found, in the language asked, for an unknown, malformed or hostile address', async () => {
    for (const [path, words] of [
      ['/en/opportunities/MA-2026-9999', /We cannot find that opportunity/],
      ['/fr/possibilites/MA-2026-9999', /Nous ne trouvons pas cette possibilité/],
      ['/en/opportunities/..%2F..%2Fetc%2Fpasswd', /We cannot find/],
      [`/en/opportunities/${'x'.repeat(2_000)}`, /We cannot find/],
      ["/en/opportunities/MA-2026-0001'%20OR%20'1'='1", /We cannot find/],
      ['/en/possibilites', /We cannot find/],
      ['/fr/opportunities/MA-2026-0001', /Nous ne trouvons pas/],
      ['/de/opportunities', /We cannot find/],
    ] as const) {
      const { res, body } = await text(path);
      assert.equal(res.status, 404, path);
      assert.match(body, words);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
    assert.equal((await get('/assets/gcds/nothing.js')).status, 404);
    assert.equal((await get('/assets/../package.json')).status, 404);
  });

  it('sends the home page to the list in the browser’s language', async () => {
    assert.equal(
      (await get('/', { 'accept-language': 'fr-CA,fr;q=0.9' })).headers.get('location'),
      '/fr/possibilites',
    );
    assert.equal(
      (await get('/', { 'accept-language': 'en-CA' })).headers.get('location'),
      '/en/opportunities',
    );
    assert.equal((await get('/')).headers.get('location'), '/en/opportunities');
  });

  it('answers every page with strict security headers, a fresh nonce each time, and no HSTS over http', async () => {
    const o = await storePosted(bot.store);
    const nonces = new Set<string>();
    for (const path of [
      '/en/opportunities',
      `/fr/possibilites/${o.reference}`,
      '/en/opportunities/MA-2026-9999',
    ]) {
      const res = await get(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
      const nonce = /style-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
      assert.ok(nonce, csp);
      assert.ok((await res.text()).includes(`<meta name="csp-nonce" content="${nonce}" />`));
      nonces.add(nonce);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('strict-transport-security'), null);
    }
    assert.equal(nonces.size, 3);
  });

  it('asks browsers for HTTPS only when the public address is https', async () => {
    await bot.server.stop();
    bot = await startTestBot({ PUBLIC_URL: 'https://opportunities.example.gc.ca' }, { background: false });
    const res = await get('/en/opportunities');
    assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
    const feed = await (await get('/en/opportunities/feed.xml')).text();
    assert.match(feed, /<id>https:\/\/opportunities\.example\.gc\.ca\/en\/opportunities<\/id>/);
  });

  it('serves the design system and its fonts itself: nothing from a CDN', async () => {
    const page = await (await get('/en/opportunities')).text();
    const linked = [...page.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(
      linked.every((url) => url.startsWith('/') || url.startsWith('#')),
      linked.join(' '),
    );
    for (const path of [
      '/assets/gcds/gcds.css',
      '/assets/fonts.css',
      '/assets/site.css',
      '/assets/gcds/gcds.esm.js',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      const body = await res.text();
      assert.doesNotMatch(
        body,
        /fonts\.googleapis|cdn\.design-system|https?:\/\/[^"')\s]*\.(woff2?|ttf|css)/,
        path,
      );
    }
    const font = await get('/assets/fonts/lato/gcds-lato.woff2');
    assert.equal(font.headers.get('content-type'), 'font/woff2');
  });

  it('limits each address to its requests a minute, answering 429 with Retry-After in the page’s language', async () => {
    await bot.server.stop();
    bot = await startTestBot({ SITE_RATE_PER_MINUTE: '5' }, { background: false });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get('/fr/possibilites')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    const refused = await get('/fr/possibilites/feed.xml');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.match(await refused.text(), /Trop de demandes/);
    // Assets are not counted: a page's own stylesheets never push a reader over the limit.
    assert.equal((await get('/assets/site.css')).status, 200);
  });

  it('says the pages are unavailable, not a stack trace, when the records cannot be read', async () => {
    const o = await storePosted(bot.store);
    await bot.store.close();
    const { res, body } = await text(`/en/opportunities/${o.reference}`);
    assert.ok([200, 503].includes(res.status));
    if (res.status === 503) assert.match(body, /cannot be shown right now/);
    assert.doesNotMatch(body, /at .*\.ts:\d+/);
  });

  it('publishes a request in every state after post, and none before', async () => {
    for (const status of STATUSES) {
      const o = await storePosted(bot.store, (p) => ({
        status,
        ...(['draft', 'submitted', 'changes_requested', 'in_approval', 'rejected'].includes(status)
          ? { timeline: withoutPosted(p.timeline) }
          : {}),
      }));
      const shown = (await get(`/en/opportunities/${o.reference}`)).status;
      const before = o.timeline.posted === undefined;
      assert.equal(shown, before ? 404 : 200, status);
    }
  });

  it('shows, once applications closed, the fingerprint of the draw’s seed in both languages, never the seed', async () => {
    const seed = 'Zp3-kq9_Xv71mB4sLr0tYw2a';
    const o = await storePosted(bot.store, (p) => ({
      status: 'closed',
      selection: { ...p.selection, drawSeed: seed },
    }));
    for (const path of [`/en/opportunities/${o.reference}`, `/fr/possibilites/${o.reference}`]) {
      const { body } = await text(path);
      assert.ok(body.includes('d4ca873c53b2a16fdcbe331b973967540ca70ee9caeeb427b03f6c0eda41299c'), path);
      assert.ok(!body.includes(seed), path);
    }
    assert.match((await text(`/fr/possibilites/${o.reference}`)).body, /Son empreinte SHA-256/);
  });
});
