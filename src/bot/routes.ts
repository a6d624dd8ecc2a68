import { helpHandler } from './handlers/help';
import { Router } from './router';

/** Every command word and card verb the bot answers, in one place. */
export function createRoutes(): Router {
  const router = new Router();
  const help = helpHandler(router);
  router.command('help', { en: 'help', fr: 'aide' }, 'commands.help', help, [
    'hello',
    'hi',
    'bonjour',
    'salut',
  ]);
  router.action('help.show', help);
  return router;
}
