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
  notifications: NotificationsTable;
  courses: CoursesTable;
  course_teachers: CourseTeachersTable;
  enrollments: EnrollmentsTable;
  sessions: SessionsTable;
  calendar_tokens: CalendarTokensTable;
  attendance_records: AttendanceRecordsTable;
  devices: DevicesTable;
  device_scans: DeviceScansTable;
  webhooks: WebhooksTable;
  outbox_events: OutboxEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  account_tokens: AccountTokensTable;
  warnings: WarningsTable;
  absences: AbsencesTable;
  absence_sessions: AbsenceSessionsTable;
  absence_attachments: AbsenceAttachmentsTable;
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
  /** Mailed (never signed in) about the student's attendance warnings; optional in the type (nullable column). */
  guardian_email?: string | null;
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

export interface CoursesTable {
  id: string;
  code: string;
  name: string;
  description: string | null;
  department_id: string | null;
  term: string | null;
  year_of_study: number | null;
  threshold_percent: number;
  late_after_minutes: number;
  /** Warning rules (0/1, a count with 0 = off, 0/1); see docs/reports.md. */
  // Optional in the type (the columns have defaults) so code that builds rows need not name them.
  warn_below_threshold?: number;
  warn_consecutive_absences?: number;
  warn_cannot_reach?: number;
  created_at: string;
  updated_at: string;
}

export interface CourseTeachersTable {
  course_id: string;
  teacher_id: string;
  created_at: string;
}

export type EnrollmentMethod = 'manual' | 'section' | 'import' | 'self' | 'link';

export interface EnrollmentsTable {
  course_id: string;
  student_id: string;
  method: EnrollmentMethod;
  created_at: string;
}

export type SessionState = 'scheduled' | 'open' | 'closed' | 'cancelled';
export type SessionKind = 'lecture' | 'lab' | 'tutorial' | 'exam' | 'other';

export interface SessionsTable {
  id: string;
  course_id: string;
  kind: SessionKind;
  /**
   * "Lab N": 1-based per course × kind in start order (sessions/session-numbering.ts); frozen once
   * opened_at is set; null when cancelled.
   */
  number: number | null;
  title: string | null;
  starts_at: string;
  ends_at: string;
  venue: string | null;
  state: SessionState;
  opened_at: string | null;
  closed_at: string | null;
  cancelled_at: string | null;
  cancelled_reason: string | null;
  /** JSON of the complete SessionPolicy (common/session.schemas.ts). */
  policy: string;
  code_secret: string | null;
  /** Bumped by every change a calendar shows; iCalendar SEQUENCE is version - 1. */
  version: number;
  created_at: string;
  updated_at: string;
}

export interface CalendarTokensTable {
  user_id: string;
  salt: string;
  token_hash: string;
  created_at: string;
}

export interface AttendanceRecordsTable {
  id: string;
  session_id: string;
  student_id: string;
  status: 'present' | 'late' | 'absent' | 'excused';
  state: 'confirmed' | 'pending';
  method: 'code' | 'qr' | 'link' | 'rollcall' | 'device' | 'auto' | 'absence';
  checked_in_at: string | null;
  updated_at: string;
  updated_by: string | null;
  note: string | null;
  /** JSON array of strings, e.g. ["shared-device"]. */
  flags: string;
  /** The long-lived random browser id the check-in came from (shared-device detection). */
  browser_id: string | null;
  version: number;
  /** The approved absence request that excused this record (revising the decision reverts only these). */
  absence_id: string | null;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  kind: string;
  /** JSON text. */
  payload: string;
  read_at: string | null;
  created_at: string;
}

/** A scanning device (seed 002). Only a hash of its API key is kept; the key is shown once. */
export interface DevicesTable {
  id: string;
  name: string;
  location: string | null;
  /** SHA-256 (hex) of the whole key, `rbd_…`. */
  key_hash: string;
  /** The start of the key, so an admin can tell keys apart ("rbd_a1B2c3…"). */
  key_prefix: string;
  created_by: string | null;
  created_at: string;
  last_seen_at: string | null;
  revoked_at: string | null;
}

/** One scan a device delivered; (device_id, scan_id) is unique, which makes replays idempotent. */
export interface DeviceScansTable {
  id: string;
  device_id: string;
  scan_id: string;
  session_id: string | null;
  record_id: string | null;
  student_number: string;
  /** When the device saw the student (from its date/time), UTC. */
  scanned_at: string;
  created_at: string;
}

/** An integration endpoint. `secret` (`whsec_…`) signs deliveries; the API shows it once. */
export interface WebhooksTable {
  id: string;
  url: string;
  description: string | null;
  /** JSON array of event types, or ["*"]. */
  events: string;
  secret: string;
  active: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** The transactional outbox: one row per change, written in the change's own transaction. */
export interface OutboxEventsTable {
  /** Time-ordered (newId): the delivery order within an `order_key`. */
  id: string;
  type: string;
  /** Deliveries with the same key go out in order: the session id for record and session events. */
  order_key: string;
  /** The record a record event is about (`record.sync`). */
  record_id: string | null;
  /** JSON of the event's `data`. */
  payload: string;
  created_at: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint: its attempts and outcome. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  order_key: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: string;
  /** A node that claimed the delivery holds it until then (a crashed node's claim expires). */
  locked_until: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

export type AccountTokenKind = 'invite' | 'reset';

export interface AccountTokensTable {
  id: string;
  user_id: string;
  kind: AccountTokenKind;
  token_hash: string;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type WarningKind = 'below_threshold' | 'consecutive_absences' | 'cannot_reach_threshold';

/** An attendance warning; `open_key` is set while open and unique, so one is open per student × course × kind. */
export interface WarningsTable {
  id: string;
  course_id: string;
  student_id: string;
  kind: WarningKind;
  detail: string;
  state: 'open' | 'resolved';
  open_key: string | null;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export type AbsenceState = 'pending' | 'approved' | 'denied' | 'withdrawn';
export type AbsenceCategory = 'illness' | 'family' | 'official' | 'other';

/** A student's absence request for some sessions of one course (seed 004). */
export interface AbsencesTable {
  id: string;
  student_id: string;
  course_id: string;
  /** The date range asked for (YYYY-MM-DD in TIMEZONE), when the request was made by dates. */
  from_date: string | null;
  to_date: string | null;
  category: AbsenceCategory;
  reason: string;
  state: AbsenceState;
  created_at: string;
  updated_at: string;
  decided_at: string | null;
  decided_by: string | null;
  response: string | null;
}

export interface AbsenceSessionsTable {
  absence_id: string;
  session_id: string;
}

export interface AbsenceAttachmentsTable {
  id: string;
  absence_id: string;
  /** The uploader's file name, for display only: never used as a path. */
  name: string;
  size: number;
  /** Sniffed from the bytes. */
  content_type: string;
  /** Names the stored file. */
  sha256: string;
  created_at: string;
}
