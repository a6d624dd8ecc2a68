import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { formatMoney } from '../../src/i18n/format';
import {
  digestOf,
  endOfDay,
  inert,
  type JekyllPost,
  jekyllPosts,
  type PublicViews,
  quoted,
  safeHref,
} from '../../src/publish/jekyll';
import type { Opportunity } from '../../src/services/opportunity';
import { type PublicOpportunity, publicOpportunity } from '../../src/services/publication';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { storeAwarded, storePosted } from '../support/published';

/** The pilot's posts, written from our public views: what Jekyll reads, and what it must never run. */

function viewsOf(o: Opportunity): PublicViews {
  const en = publicOpportunity(o, 'en');
  const fr = publicOpportunity(o, 'fr');
  assert.ok(en && fr, 'the record is posted');
  return { en, fr };
}

/** Splits a post as Jekyll does: the front matter runs from the first line "---" to the next "---". */
function split(post: JekyllPost): { frontMatter: string; body: string } {
  const m = /^---\s*\n([\s\S]*?\n?)^(?:---|\.\.\.)\s*$\n?([\s\S]*)$/m.exec(post.content);
  assert.ok(m, `no front matter in ${post.path}`);
  return { frontMatter: m[1] ?? '', body: m[2] ?? '' };
}

/** The front matter as YAML 1.2 reads it (strings stay strings) and as Jekyll's YAML 1.1 does. */
function frontMatterOf(post: JekyllPost): { v12: Record<string, unknown>; v11: Record<string, unknown> } {
  const { frontMatter } = split(post);
  return {
    v12: parse(frontMatter) as Record<string, unknown>,
    v11: parse(frontMatter, { version: '1.1' }) as Record<string, unknown>,
  };
}

const withTexts = (v: PublicOpportunity, texts: Partial<PublicOpportunity['texts']>): PublicOpportunity => ({
  ...v,
  texts: { ...v.texts, ...texts },
});

describe('Jekyll posts in the pilot’s form', () => {
  let store: SqliteStore;
  let posted: Opportunity;
  let awarded: Opportunity;

  before(async () => {
    store = SqliteStore.open(':memory:');
    posted = await storePosted(store);
    awarded = await storeAwarded(store);
  });
  after(async () => store.close());

  it('writes one post per language, dated the day it was posted and named by its reference', () => {
    const posts = jekyllPosts(viewsOf(posted));
    assert.deepEqual(
      posts.map((p) => p.path),
      [`_posts/en/2026-03-03-${posted.reference}.md`, `_posts/fr/2026-03-03-${posted.reference}.md`],
    );
  });

  it('fills the pilot template’s front matter, in its order, and it reads back exactly (English)', () => {
    const [en] = jekyllPosts(viewsOf(posted));
    assert.ok(en);
    const { v12 } = frontMatterOf(en);
    assert.deepEqual(Object.keys(v12), [
      'layout',
      'title',
      'ref',
      'lang',
      'permalink',
      'skills',
      'status',
      'value',
      'closing_date',
      'start_date',
      'delivery_date',
      'selected_bidder',
      'selected_bidder-link',
      'submitted_work-link',
      'last_modified',
      'short_desc',
    ]);
    assert.deepEqual(v12, {
      layout: 'post',
      title: 'Accessible date picker for the benefits form',
      ref: posted.reference,
      lang: 'en',
      permalink: `/en/opportunities/${posted.reference}.html`,
      skills: 'TypeScript, WCAG 2.1, React',
      status: 'Open',
      value: '$4,000.00 (excluding taxes)',
      closing_date: '2026-03-16T23:59:59-04:00',
      start_date: '2026-03-18',
      delivery_date: '2026-05-01T23:59:59-04:00',
      selected_bidder: null,
      'selected_bidder-link': null,
      'submitted_work-link': null,
      last_modified: '2026-03-03',
      short_desc: 'Make the date picker on the benefits application keyboard and screen-reader accessible.',
    });
  });

  it('writes the French post with the same reference and the French texts', () => {
    const [, fr] = jekyllPosts(viewsOf(posted));
    assert.ok(fr);
    const { v12 } = frontMatterOf(fr);
    assert.equal(v12.ref, posted.reference);
    assert.equal(v12.lang, 'fr');
    assert.equal(v12.permalink, `/fr/possibilites/${posted.reference}.html`);
    assert.equal(v12.title, 'Sélecteur de date accessible pour le formulaire de prestations');
    assert.equal(v12.short_desc, 'Remplacer le sélecteur de date inaccessible du formulaire de prestations.');
    assert.equal(v12.status, 'Ouverte');
    assert.equal(v12.value, `${formatMoney(400_000, 'fr')} (taxes en sus)`);
    assert.equal(v12.closing_date, '2026-03-16T23:59:59-04:00');
    const { body } = split(fr);
    assert.deepEqual(
      body.split('\n').filter((l) => l.startsWith('#')),
      [
        '## Description',
        '### Contexte',
        '### Possibilité',
        '## Évaluation des candidatures',
        '## Critères d’acceptation du travail',
      ],
    );
    assert.match(body, /Le formulaire de prestations utilise un sélecteur de date/);
  });

  it('lays the body out in the pilot’s sections, filled from the record', () => {
    const [en] = jekyllPosts(viewsOf(posted));
    assert.ok(en);
    const { body } = split(en);
    const sections = body.split('\n').filter((l) => l.startsWith('#') || l === '<hr/>');
    assert.deepEqual(sections, [
      '## Description',
      '### Background',
      '### Opportunity',
      '<hr/>',
      '## Application evaluation',
      '## Work acceptance criteria',
    ]);
    for (const expected of [
      'The Benefits Delivery branch runs the online application; users report the date picker traps focus.',
      'A pull request that fixes focus handling, with automated accessibility tests.',
      '[The work’s repository](https://github.com/example/benefits-form)',
      'Has shipped an accessible web component used in production.',
      'Code under the MIT licence; all tests pass in CI; WCAG 2.1 AA for the component.',
      'The code is delivered under the licence MIT.',
    ]) {
      assert.ok(body.includes(expected), `missing: ${expected}`);
    }
  });

  it('publishes the draw’s fingerprint, then the draw anyone can recompute, in each language', () => {
    const seed = 'Xq3v9LrT8mWp2KzA7bNc0dEf';
    const drawn: Opportunity = {
      ...awarded,
      selection: {
        ...awarded.selection,
        drawSeed: seed,
        draw: { seed, candidates: ['1', '3', '4'], selectedIndex: 2 },
        declinedSuppliers: ['1'],
      },
    };
    const [en, fr] = jekyllPosts(viewsOf(drawn)).map((p) => split(p).body);
    assert.match(en ?? '', /SHA-256 fingerprint: `[0-9a-f]{64}`/);
    assert.match(en ?? '', new RegExp(`Seed \\(fixed when applications closed\\): \`${seed}\``));
    assert.match(
      en ?? '',
      /Applicants who passed: 1, 3, 4\n- Order of the draw: 1, 4, 3\n- Selected: Applicant 4/,
    );
    assert.match(en ?? '', /Declined or could not be reached: 1/);
    assert.match(en ?? '', new RegExp(`printf '%s' '${seed}:1' \\| sha256sum`));
    assert.match(fr ?? '', /Candidats retenus : 1, 3, 4/);
    assert.doesNotMatch(split(jekyllPosts(viewsOf(posted))[0] as JekyllPost).body, /sha256sum/);
  });

  it('closes at the last second of the day in Ottawa: -04:00 in daylight time, -05:00 in standard time', () => {
    assert.equal(endOfDay('2026-07-15'), '2026-07-15T23:59:59-04:00');
    assert.equal(endOfDay('2026-12-07'), '2026-12-07T23:59:59-05:00');
    // The days the clocks change: the day's end is already on the new offset.
    assert.equal(endOfDay('2026-03-08'), '2026-03-08T23:59:59-04:00');
    assert.equal(endOfDay('2026-11-01'), '2026-11-01T23:59:59-05:00');
    assert.equal(endOfDay('2026-03-07'), '2026-03-07T23:59:59-05:00');

    const views = viewsOf(posted);
    const winter = (v: PublicOpportunity): PublicOpportunity => ({
      ...v,
      deadline: '2026-12-07',
      startDate: '2026-12-09',
      deliveryDate: '2027-01-29',
    });
    for (const post of jekyllPosts({ en: winter(views.en), fr: winter(views.fr) })) {
      const { v12, v11 } = frontMatterOf(post);
      assert.equal(v12.closing_date, '2026-12-07T23:59:59-05:00');
      assert.equal(v12.delivery_date, '2027-01-29T23:59:59-05:00');
      assert.equal(v12.start_date, '2026-12-09');
      // Jekyll reads them as times: the same instant.
      assert.ok(v11.closing_date instanceof Date);
      assert.equal(v11.closing_date.toISOString(), '2026-12-08T04:59:59.000Z');
    }
  });

  it('fills the selected bidder and its link once awarded, and the submitted work once delivered', () => {
    const [en] = jekyllPosts(viewsOf(awarded));
    assert.ok(en);
    const { v12 } = frontMatterOf(en);
    assert.equal(v12.selected_bidder, 'Ada Dev');
    assert.equal(v12['selected_bidder-link'], 'https://ada.example/');
    assert.equal(v12['submitted_work-link'], null);
    assert.equal(v12.status, 'Awarded');
    // Extended after posting: the pilot's "updated" mark, and the deadline in force.
    assert.equal(v12.update, 'closing_date');
    assert.equal(v12.closing_date, '2026-03-23T23:59:59-04:00');
    assert.match(split(en).body, /^## Updates$/m);

    const delivered: Opportunity = {
      ...awarded,
      status: 'delivered',
      delivery: { ...awarded.delivery, deliveredLink: 'https://github.com/example/benefits-form/pull/12' },
      eventAt: { ...awarded.eventAt, delivered: '2026-04-20T14:00:00.000Z' },
    };
    for (const post of jekyllPosts(viewsOf(delivered))) {
      const fm = frontMatterOf(post).v12;
      assert.equal(fm.selected_bidder, 'Ada Dev');
      assert.equal(fm['submitted_work-link'], 'https://github.com/example/benefits-form/pull/12');
      assert.equal(fm.last_modified, '2026-04-20');
      assert.ok(split(post).body.includes('(https://github.com/example/benefits-form/pull/12)'));
    }
  });

  it('puts nothing internal in the files: no fund reservation, requester, vetting, union or note', () => {
    for (const o of [posted, awarded]) {
      const text = jekyllPosts(viewsOf(o))
        .map((p) => p.content)
        .join('\n')
        .toLowerCase();
      for (const secret of [
        'FR-SECRET-7731',
        'CC-HIDDEN-4410',
        'UNION-CONCERN-TEXT',
        'UNION-ANSWER-TEXT',
        'INTERNAL-NOTE',
        'Priya Raman',
        o.requester.name,
        o.client.contactName,
        o.client.contactEmail,
        o.client.team,
        o.requester.aadObjectId,
        'aad-p',
      ]) {
        assert.ok(!text.includes(secret.toLowerCase()), `${o.reference} leaks ${secret}`);
      }
    }
  });

  it('keeps hostile text inert: it breaks no YAML, runs no Liquid and makes no Markdown of its own', () => {
    const long = `${'A long paragraph: "quoted" {{ site.time }} — '.repeat(300)}`.slice(0, 9_997) + 'end';
    assert.equal(long.length, 10_000);
    const hostile = {
      title: 'Title: "quoted" \'single\' --- {{ site.github }} {% include footer.html %}',
      shortDescription: `yes\n---\nlayout: evil\n...\n# not a comment\n- not a list\n&anchor *alias !tag %YAML 1.2 @at \`tick\``,
      background: `{% raw %}{{ site }}{% endraw %}\n\n---\n\n# Injected heading\n\n<script>alert(1)</script>\n[link](javascript:alert(1)) ![img](x)\n    indented code\n\`\`\`\nfenced\n~~~\n| a | b |\n> quote\n1. one\n: definition\n^\n{::comment}\n{:.class}\n$$x$$\\\\`,
      deliverables: long,
      evaluationCriterion:
        'Control \u0000\u0007\u001b DEL\u007f C1\u0085\u009f LS\u2028PS\u2029 BOM\ufeff tab\t end',
      acceptanceCriteria: 'Emoji 😀 accents éèçà and a colon: then "{{ page.title | upcase }}"',
    };
    const views = viewsOf(awarded);
    const hostileViews: PublicViews = {
      en: {
        ...withTexts(views.en, hostile),
        skills: ['C#', 'a: b', '{{ x }}'],
        supplier: { name: 'Bob "Tables": {{ x }}', link: 'https://ada.example/{{x}}?q="(1)"' },
      },
      fr: withTexts(views.fr, hostile),
    };
    const posts = jekyllPosts(hostileViews);
    for (const post of posts) {
      // Jekyll finds exactly our front matter: no typed "---" or "..." line ends it early.
      const { frontMatter, body } = split(post);
      for (const line of frontMatter.trimEnd().split('\n')) {
        assert.match(
          line,
          /^[a-z_-]+:( |$)/,
          `a front matter line that is not a field: ${line.slice(0, 60)}`,
        );
      }
      const { v12, v11 } = frontMatterOf(post);
      for (const fm of [v12, v11]) {
        assert.equal(fm.title, hostile.title);
        assert.equal(fm.short_desc, hostile.shortDescription);
        assert.equal(fm.layout, 'post');
      }
      if (post.path.includes('/en/')) {
        assert.equal(v12.skills, 'C#, a: b, {{ x }}');
        assert.equal(v12.selected_bidder, 'Bob "Tables": {{ x }}');
        assert.equal(v12['selected_bidder-link'], 'https://ada.example/%7B%7Bx%7D%7D?q=%22%281%29%22');
      }
      // Liquid sees no tag or output anywhere in the body, and kramdown no markup of the person's.
      assert.ok(!/[{}]/.test(body), 'a brace in the body');
      assert.ok(!/<(?!hr\/>|br\/>)/.test(body), 'HTML in the body');
      assert.ok(!/\]\(javascript/i.test(body), 'a link in the body');
      const ours = /^- \*\*(Update|Mise à jour) · /;
      const marked = body
        .split('\n')
        .filter((l) => !ours.test(l))
        .find((l) => /^\s*(```|~~~|\||>|\^|:|[-*+] |\d+[.)]|={2,}|-{3,}|\$\$|\s{4})/.test(l));
      assert.equal(marked, undefined, 'a block marker in the body');
      assert.deepEqual(
        body.split('\n').filter((l) => l.startsWith('#')),
        post.path.includes('/en/')
          ? [
              '## Updates',
              '## Description',
              '### Background',
              '### Opportunity',
              '## Application evaluation',
              '## Work acceptance criteria',
            ]
          : [
              '## Mises à jour',
              '## Description',
              '### Contexte',
              '### Possibilité',
              '## Évaluation des candidatures',
              '## Critères d’acceptation du travail',
            ],
      );
      // What was typed is still there to read, escaped: long text whole, controls dropped.
      assert.ok(body.includes('&#35; Injected heading'));
      assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
      assert.ok(body.includes('&#123;&#123; site.time &#125;&#125;'));
      assert.ok(body.includes('Control  DEL C1 LS\u2028PS\u2029 BOM\ufeff tab  end'));
      assert.ok(body.includes('Emoji 😀 accents éèçà'));
      assert.ok(body.includes(inert(long)), 'the 10,000 characters, whole');
    }
  });

  it('quotes every kind of character so YAML 1.1 and 1.2 read it back', () => {
    const all = Array.from({ length: 0x3000 }, (_, i) => String.fromCharCode(i))
      .filter((c) => !/[\ud800-\udfff]/.test(c))
      .join('');
    for (const value of [
      all,
      '',
      ' ',
      'null',
      '~',
      'yes',
      'No',
      '0o17',
      '1:20',
      '2026-03-03',
      '- a',
      '? b',
      '"',
      "'",
      '\\',
      '😀',
    ]) {
      const line = `k: ${quoted(value)}`;
      assert.ok(!line.includes('\n'));
      assert.equal((parse(line) as { k: unknown }).k, value);
      assert.equal((parse(line, { version: '1.1' }) as { k: unknown }).k, value);
    }
    // Half a surrogate pair has no UTF-8 form: it becomes the replacement character.
    assert.equal((parse(`k: ${quoted('a\ud800b')}`) as { k: unknown }).k, 'a\ufffdb');
  });

  it('makes links that Liquid, kramdown and HTML attributes take as they are', () => {
    assert.equal(safeHref('https://example.gc.ca/a/b?c=d&e=f#g'), 'https://example.gc.ca/a/b?c=d&e=f#g');
    assert.equal(
      safeHref('https://example.gc.ca/{{x}}?q="<a>"'),
      'https://example.gc.ca/%7B%7Bx%7D%7D?q=%22%3Ca%3E%22',
    );
    assert.throws(() => safeHref('javascript:alert(1)'));
    assert.equal(inert('# heading'), '&#35; heading');
    assert.equal(inert('12. item'), '12&#46; item');
    assert.equal(inert('a_b*c'), 'a&#95;b&#42;c');
  });

  it('shows the notice of a provisional translation, as the site does', () => {
    const views = viewsOf(posted);
    const [, fr] = jekyllPosts({ en: views.en, fr: { ...views.fr, provisional: true } });
    assert.ok(fr);
    assert.match(split(fr).body, /^Cette page n’est pas encore entièrement traduite en français/);
  });

  it('digests what the files would hold: the same views the same digest, a change another', () => {
    const a = digestOf(viewsOf(posted));
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(digestOf(viewsOf(posted)), a);
    assert.notEqual(digestOf(viewsOf(awarded)), a);
    const views = viewsOf(posted);
    assert.notEqual(digestOf({ ...views, fr: withTexts(views.fr, { title: 'Autre titre' }) }), a);
  });

  it('refuses views of two different opportunities', () => {
    const views = viewsOf(posted);
    assert.throws(() => jekyllPosts({ en: views.en, fr: { ...views.fr, reference: 'MA-2026-9999' } }));
  });
});
