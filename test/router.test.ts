import { strict as assert } from 'node:assert';
import { normalizeWord, Router } from '../src/bot/router';
import type { Handler } from '../src/bot/turn';

const handler: Handler = async () => ({ text: 'ok' });

describe('route table', () => {
  const router = new Router()
    .command('help', { en: 'help', fr: 'aide' }, 'commands.help', handler)
    .command('register', { en: 'register', fr: 'inscrire' }, 'commands.help', handler)
    .action('help.show', handler);

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

  it('maps card verbs to handlers', () => {
    assert.equal(router.matchVerb('help.show'), handler);
    assert.equal(router.matchVerb('funds.approve'), undefined);
  });

  it('refuses to route the same word or verb twice', () => {
    assert.throws(() =>
      new Router()
        .command('a', { en: 'x', fr: 'y' }, 'commands.help', handler)
        .command('b', { en: 'X', fr: 'z' }, 'commands.help', handler),
    );
    assert.throws(() => new Router().action('v', handler).action('v', handler));
  });

  it('normalizes words to lower case without accents or punctuation', () => {
    assert.equal(normalizeWord('« Épuré »'), 'epure');
  });
});
