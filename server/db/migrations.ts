import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001_create_users.js';

/**
 * Every migration, in order. Listed explicitly (not read from the folder) so the same list works
 * from TypeScript sources, the compiled build and the test runner.
 */
const migrations: Record<string, Migration> = {
  '0001_create_users': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
