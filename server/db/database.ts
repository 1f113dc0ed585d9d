/**
 * Table types as Kysely sees them. Times are ISO 8601 UTC strings and booleans are 0/1 integers on
 * both dialects, so one set of queries and one row mapping serves SQLite and PostgreSQL alike.
 */
export interface Database {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
  departments: DepartmentsTable;
  sections: SectionsTable;
}

export type Role = 'admin' | 'teacher' | 'student';

export interface UsersTable {
  id: string;
  role: Role;
  username: string;
  email: string | null;
  name: string;
  phone: string | null;
  student_number: string | null;
  staff_number: string | null;
  section_id: string | null;
  active: number;
  password_hash: string | null;
  created_at: string;
  updated_at: string;
}

export interface RefreshTokensTable {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventsTable {
  id: string;
  at: string;
  actor_id: string | null;
  action: string;
  entity: string;
  entity_id: string;
  session_id: string | null;
  student_id: string | null;
  before: string | null;
  after: string | null;
  reason: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface DepartmentsTable {
  id: string;
  code: string;
  name: string;
  created_at: string;
}

export interface SectionsTable {
  id: string;
  name: string;
  department_id: string | null;
  cohort: string | null;
  created_at: string;
}
