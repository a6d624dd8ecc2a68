import { APPLICATIONS_SCHEMA } from './pg-site-applications';
import { MAIL_SCHEMA, PUBLICATION_LOG_SCHEMA } from './pg-site-mail';
import { QUESTIONS_SCHEMA } from './pg-site-questions';
import { BOUNDS_SCHEMA } from './pg-site-shared';
import { SUBSCRIPTIONS_SCHEMA } from './pg-site-subscriptions';

/**
 * The public site, the e-mail queue, the local mailbox and the publication log in PostgreSQL: migration
 * 3 (pg-schema.ts), and one adapter per port, each in the pg-site-*.ts file that also holds its tables.
 * None of these tables refers to the records' tables: an opportunity is named by its reference only, as
 * in the SQLite file.
 *
 * Records are kept as json, not jsonb: json keeps the text as written (members in their order, strings
 * holding \u0000 or a lone surrogate, which jsonb refuses), so what a stranger typed comes back exactly,
 * while the few values SQL reads (an evaluation's result) are still reached with -> and ->>.
 */
export const SITE_SCHEMA = [
  QUESTIONS_SCHEMA,
  SUBSCRIPTIONS_SCHEMA,
  MAIL_SCHEMA,
  PUBLICATION_LOG_SCHEMA,
  APPLICATIONS_SCHEMA,
  BOUNDS_SCHEMA,
].join('\n');

export { PgApplications } from './pg-site-applications';
export { PgMailbox, PgMailQueue, PgPublicationLog } from './pg-site-mail';
export { PgQuestions } from './pg-site-questions';
export { PgSubscriptions } from './pg-site-subscriptions';
