import { ConfigError, loadConfig } from './config';
import { startServer } from './bot/server';
import { createLogger } from './log';
import { openStore } from './stores';

/** Start-up: configuration, store, server; and a clean stop on SIGTERM / SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Microacq cannot start. ${err.message}\nSee .env.example for every variable.`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // A promise nobody awaited must not take every conversation down with it: it is logged, and we go on.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  const store = openStore(config);
  try {
    await store.ping();
  } catch (err) {
    log.error(
      { err },
      'the store is unavailable; requests will be answered with a clear message until it is back',
    );
  }
  const server = await startServer(config, store, log);
  log.info({ url: `${server.url}/api/messages`, store: config.store.kind }, 'Microacq is ready');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      void server.stop().then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => {
  console.error('Microacq could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
