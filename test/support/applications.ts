import type { Application } from '../../src/services/applications';

/** An application as the close leaves it: confirmed, numbered 2, applied in French; `overrides` on top. */
export function numberedApplication(overrides: Partial<Application> = {}): Application {
  return {
    id: 'a-0b9e5a41-7d3c-4f8e-a2b6-c1d4e7f90a12',
    reference: 'MA-2026-0007',
    email: 'ada@example.ca',
    locale: 'fr',
    content: {
      name: 'Ada Dev',
      kind: 'student',
      federalEmployee: true,
      answer: 'I built pickers.',
      links: ['https://github.com/ada'],
      publicLink: 'https://ada.example/',
    },
    createdAt: '2026-12-01T15:00:00.000Z',
    confirmedAt: '2026-12-01T15:05:00.000Z',
    number: 2,
    version: 3,
    ...overrides,
  };
}
