import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; secrets and tokens are redacted wherever they might appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'microacq' },
      redact: {
        paths: [
          '*.password',
          '*.appPassword',
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
