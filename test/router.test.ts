import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { normalizeWord, Router } from '../src/bot/router';
import { createRoutes } from '../src/bot/routes';
import type { Deps, Handler, TurnRequest } from '../src/bot/turn';
import { find } from './support/cards';
import { cardSamples } from './support/card-samples';

const handler: Handler = async () => ({ text: 'ok' });

describe('route table', () => {
  const router = new Router()
    .command('help', { en: 'help', fr: 'aide' }, 'commands.help', handler)
    .command('register', { en: 'register', fr: 'inscrire' }, 'commands.help', handler)
    .action('help.show', z.object({}), handler)
    .action(
      'item.open',
      z.object({ id: z.string().regex(/^\d+$/).transform(Number) }),
      async (_req, _deps, data) => ({
        text: `item ${data.id + 1}`,
      }),
    );

  it('finds a command in English or French, whatever the case or accents', () => {
    for (const text of ['help', 'HELP', 'aide', 'Aidé', '  aide  ', 'help!']) {
      assert.equal(router.matchCommand(text)?.route.name, 'help', text);
    }
  });

  it('passes the words after the command to its handler', () => {
    assert.equal(router.matchCommand('register finance now')?.args, 'finance now');
  });

  it('finds nothing for a word it does not know', () => {
    assert.equal(router.matchCommand('bonjour la police'), undefined);
    assert.equal(router.matchCommand(''), undefined);
  });

  it('suggests the nearest command for a typo, and nothing for gibberish', () => {
    assert.equal(router.suggest('hlep'), 'help');
    assert.equal(router.suggest('aidee'), 'aide');
    assert.equal(router.suggest('zzzzzzzz'), undefined);
  });

  it('suggests nothing for a word far longer than any command, however it starts', () => {
    assert.equal(router.suggest(`help${'p'.repeat(30)}`), undefined);
    assert.equal(router.suggest('hlep'.repeat(100_000)), undefined);
  });

  it('maps card verbs to their routes, and knows no other verb', () => {
    assert.equal(router.matchVerb('help.show')?.verb, 'help.show');
    assert.equal(router.matchVerb('funds.approve'), undefined);
  });

  it('gives a handler its card data only once it has the shape the route declares, as parsed', async () => {
    const route = router.matchVerb('item.open');
    assert.ok(route);
    const run = (data: Record<string, unknown>) => route.run({ data } as unknown as TurnRequest, {} as Deps);
    assert.deepEqual(await run({ id: '41' }), { text: 'item 42' });
    assert.equal(run({ id: 'x' }), undefined);
    assert.equal(run({}), undefined);
  });

  it('refuses to route the same word or verb twice', () => {
    assert.throws(() =>
      new Router()
        .command('a', { en: 'x', fr: 'y' }, 'commands.help', handler)
        .command('b', { en: 'X', fr: 'z' }, 'commands.help', handler),
    );
    const empty = z.object({});
    assert.throws(() => new Router().action('v', empty, handler).action('v', empty, handler));
  });

  it('normalizes words to lower case without accents or punctuation', () => {
    assert.equal(normalizeWord('« Épuré »'), 'epure');
  });

  it('routes every button on every card the bot sends, and each route takes the data its button carries', () => {
    const routes = createRoutes();
    let checked = 0;
    for (const sample of cardSamples()) {
      for (const b of find(sample.card, (n) => n.type === 'Action.Execute')) {
        const route = routes.matchVerb(String(b.verb));
        assert.ok(route, `${sample.name}: no route for "${String(b.verb)}"`);
        assert.ok(
          route.accepts(b.data ?? {}),
          `${sample.name}: ${String(b.verb)} refuses ${JSON.stringify(b.data)}`,
        );
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} buttons`);
  });
});
