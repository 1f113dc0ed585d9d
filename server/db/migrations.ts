import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001_create_users.js';
import * as m0002 from './migrations/0002_create_notifications.js';
import * as m0003 from './migrations/0003_create_courses.js';
import * as m0004 from './migrations/0004_create_attendance_records.js';
import * as m0005 from './migrations/0005_create_devices.js';
import * as m0006 from './migrations/0006_create_outbox.js';
import * as m0007 from './migrations/0007_create_absences.js';
import * as m0008 from './migrations/0008_create_account_tokens.js';
import * as m0009 from './migrations/0009_add_session_kinds.js';
import * as m0010 from './migrations/0010_create_warnings.js';
import * as m0011 from './migrations/0011_sessions_updated_index.js';
import * as m0012 from './migrations/0012_records_session_status_index.js';
import * as m0013 from './migrations/0013_records_browser_index.js';
import * as m0014 from './migrations/0014_sessions_course_state_index.js';
import * as m0015 from './migrations/0015_sessions_closed_index.js';
import * as m0016 from './migrations/0016_webhook_deliveries_list_index.js';
import * as m0017 from './migrations/0017_drop_webhook_deliveries_order_index.js';

/**
 * Every migration, in order. Listed explicitly (not read from the folder) so the same list works
 * from TypeScript sources, the compiled build and the test runner.
 */
const migrations: Record<string, Migration> = {
  '0001_create_users': m0001,
  '0002_create_notifications': m0002,
  '0003_create_courses': m0003,
  '0004_create_attendance_records': m0004,
  '0005_create_devices': m0005,
  '0006_create_outbox': m0006,
  '0007_create_absences': m0007,
  '0008_create_account_tokens': m0008,
  '0009_add_session_kinds': m0009,
  '0010_create_warnings': m0010,
  '0011_sessions_updated_index': m0011,
  '0012_records_session_status_index': m0012,
  '0013_records_browser_index': m0013,
  '0014_sessions_course_state_index': m0014,
  '0015_sessions_closed_index': m0015,
  '0016_webhook_deliveries_list_index': m0016,
  '0017_drop_webhook_deliveries_order_index': m0017,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
