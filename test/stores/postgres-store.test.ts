import { openPgStore } from '../../src/stores/pg-store';
import { describeStoreContract } from '../contract/store-contract';
import { type FreshSchema, freshSchema, requirePostgres } from '../support/postgres';

/** The whole store as the bot opens it with STORE=postgres: every port, composed, on an empty schema. */
describe('PostgreSQL store', function () {
  before(requirePostgres);
  let schema: FreshSchema | undefined;
  describeStoreContract(
    'PostgreSQL store',
    async () => {
      schema = await freshSchema();
      return openPgStore({ connectionString: schema.url, schema: schema.schema });
    },
    async () => {
      await schema?.drop();
      schema = undefined;
    },
  );
});
