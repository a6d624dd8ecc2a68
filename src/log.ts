import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';

export type Logger = pino.Logger;

/** The activity being handled, so every line logged while handling it carries its correlation id. */
const activity = new AsyncLocalStorage<{ readonly correlationId: string }>();

/** Runs `work` as the handling of one activity: log lines written meanwhile carry `correlationId`. */
export function withCorrelation<T>(correlationId: string, work: () => T): T {
  return activity.run({ correlationId }, work);
}

/** The correlation id of the activity being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return activity.getStore()?.correlationId;
}

/**
 * Structured JSON logs. Lines say what happened to which activity, request or message, never what people
 * typed; secrets and tokens are redacted wherever they might appear.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'microacq' },
      mixin: () => activity.getStore() ?? {},
      redact: {
        paths: [
          '*.password',
          '*.appPassword',
          '*.clientSecret',
          '*.authorization',
          '*.headers.authorization',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
