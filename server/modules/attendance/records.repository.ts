import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AttendanceRecordsTable, AuditEventsTable, Database, DeviceScansTable } from '../../db/database.js';
import type { Summary } from '../../../common/attendance.schemas.js';
import { mergedStatement } from '../../db/commit-group.js';
import { hotQuery, preparedStatement } from '../../db/hot-query.js';
import { insertAuditRow } from '../audit/audit.repository.js';
import { activeStudentByNumber, deviceActive, insertScanIfAbsent } from '../devices/devices.repository.js';
import { insertOutboxRows, type OutboxRows } from '../webhooks/outbox.repository.js';
import type { CheckinAttendance } from '../../../common/report.schemas.js';
import { attendanceOf, checkinAttendance } from '../reports/checkin-attendance.js';
import { HELD } from '../reports/reports.repository.js';

export type RecordRow = Selectable<AttendanceRecordsTable>;
type Db = Kysely<Database>;

const findRecordQuery = hotQuery((db: Db, sessionId: string, studentId: string) =>
  db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('student_id', '=', studentId),
);

/** The session × student's record, if any. (Check-in path, for a student already recorded: a hotQuery.) */
export async function findRecord(db: Db, sessionId: string, studentId: string): Promise<RecordRow | undefined> {
  return (await findRecordQuery(db, sessionId, studentId)).rows[0];
}

const insertRecordQuery = hotQuery((db: Db, r: RecordRow) =>
  db
    .insertInto('attendance_records')
    .values({
      id: r.id,
      session_id: r.session_id,
      student_id: r.student_id,
      status: r.status,
      state: r.state,
      method: r.method,
      checked_in_at: r.checked_in_at,
      updated_at: r.updated_at,
      updated_by: r.updated_by,
      note: r.note,
      flags: r.flags,
      browser_id: r.browser_id,
      version: r.version,
    })
    .onConflict((oc) => oc.columns(['session_id', 'student_id']).doNothing()),
);

/** Inserts unless the session × student already has a record; true when this call inserted it. (Check-in path: a hotQuery.) */
export async function insertRecordIfAbsent(db: Db, row: RecordRow): Promise<boolean> {
  const r = await insertRecordQuery(db, row);
  return Number(r.numAffectedRows ?? 0n) === 1;
}

/** A new check-in's rows: the record, its audit event, its outbox rows and, for a device scan, the scan log row. */
export interface CheckinRows {
  record: RecordRow;
  audit: Insertable<AuditEventsTable>;
  outbox: OutboxRows;
  /** The scan log row; its `record_id` is the record this call made, or the student's record already there. */
  scan: Omit<Selectable<DeviceScansTable>, 'record_id'> | null;
}

export interface CheckinWrite {
  /** This call inserted the record (and with it the audit event and the outbox rows). */
  inserted: boolean;
  /**
   * Not inserted: the session × student's record as this statement saw it, unlocked. Undefined when
   * it could not be seen (committed by another transaction after this statement began): read it again.
   */
  existing: RecordRow | undefined;
  /** With a scan row and a record to point to: whether the scan was logged (false: its scan_id was delivered before). Otherwise null. */
  scanLogged: boolean | null;
}

const RECORD_COLUMNS = ['id', 'session_id', 'student_id', 'status', 'state', 'method', 'checked_in_at', 'updated_at', 'updated_by', 'note', 'flags', 'browser_id', 'version'] as const;
/** Every column of a record row (what `select r.*` returns). */
const RECORD_ROW_KEYS = [...RECORD_COLUMNS, 'absence_id'] as const satisfies readonly (keyof RecordRow)[];
const AUDIT_COLUMNS = ['id', 'at', 'actor_id', 'action', 'entity', 'entity_id', 'session_id', 'student_id', 'before', 'after', 'reason'] as const;
const EVENT_COLUMNS = ['id', 'type', 'order_key', 'record_id', 'payload', 'created_at'] as const;
const DELIVERY_COLUMNS = ['id', 'webhook_id', 'event_id', 'order_key', 'next_attempt_at', 'created_at'] as const;
const SCAN_COLUMNS = ['id', 'device_id', 'scan_id', 'session_id', 'student_number', 'scanned_at', 'created_at'] as const;

/** The rows of a merged statement (mergedStatement) by the check-in they belong to: `batch_n`, from 1. */
function rowsByCheckin<R>(rows: (R & { batch_n: string })[], count: number): R[][] {
  const byCheckin = Array.from({ length: count }, (): R[] => []);
  for (const { batch_n, ...row } of rows) byCheckin[Number(batch_n) - 1].push(row as R);
  return byCheckin;
}

/**
 * PostgreSQL: the whole check-in write as ONE statement (data-modifying CTEs). The record is inserted
 * unless the session × student has one (the unique key decides, as before); the audit event, the
 * outbox events and their deliveries are inserted only from the row the record insert returned, so
 * they exist exactly when the record does; a statement is atomic, so an error in any part (a failed
 * insert, a violated constraint) leaves none of them. When the record was there already, the
 * statement returns it (`existing`). A scan log row points to whichever record that is, under the
 * (device_id, scan_id) key: a replayed scan_id inserts nothing, which the caller reads as a replay.
 * The check-in's one outbox event travels as scalars; its deliveries as arrays (`unnest`), so the
 * text is the same for any number of webhooks and is one prepared statement.
 */
function buildCheckinStatement(deliveries: boolean, scan: boolean) {
  let n = 0;
  const params = (columns: readonly string[], cast = '') => columns.map(() => `$${++n}${cast}`);
  const list = (columns: readonly string[]) => columns.join(', ');
  const rec = params(RECORD_COLUMNS);
  const aud = params(AUDIT_COLUMNS);
  const ev = params(EVENT_COLUMNS);
  const dl = deliveries ? params(DELIVERY_COLUMNS, '::text[]') : [];
  const sc = scan ? params(SCAN_COLUMNS, '::text') : [];
  const parts = [
    `with rec as (
  insert into attendance_records (${list(RECORD_COLUMNS)}) values (${rec.join(', ')})
  on conflict (session_id, student_id) do nothing returning id
)`,
    `aud as (
  insert into audit_events (${list(AUDIT_COLUMNS)}) select ${aud.join(', ')} from rec
)`,
    `ev as (
  insert into outbox_events (${list(EVENT_COLUMNS)}) select ${ev.join(', ')} from rec
)`,
  ];
  if (deliveries) {
    parts.push(`dl as (
  insert into webhook_deliveries (${list(DELIVERY_COLUMNS)}, state, attempts) select d.*, 'pending', 0 from rec, unnest(${dl.join(', ')}) as d(${list(DELIVERY_COLUMNS)})
)`);
  }
  parts.push(`existing as (
  select r.* from attendance_records r where r.session_id = ${rec[1]} and r.student_id = ${rec[2]} and not exists (select from rec)
)`);
  if (scan) {
    parts.push(`sc as (
  insert into device_scans (${list(SCAN_COLUMNS)}, record_id) select ${sc.join(', ')}, t.id from (select id from rec union all select id from existing) t
  on conflict (device_id, scan_id) do nothing returning id
)`);
  }
  return preparedStatement<RecordRow & { inserted: number; logged: number }>(
    `${parts.join(', ')}
select (select count(*) from rec)::int as inserted, ${scan ? '(select count(*) from sc)::int' : '0'} as logged, existing.* from (select 1) one left join existing on true`,
  );
}
/**
 * The statement in four variants, by whether it has webhook deliveries and a scan log row to insert:
 * a part that inserts nothing still costs PostgreSQL its set-up (the table and its indexes opened and
 * locked, the plan's nodes initialised) on every execution, so a code check-in with no webhook
 * subscribed runs only the record, audit and outbox parts. Index: deliveries + 2 × scan.
 */
const checkinStatements = [buildCheckinStatement(false, false), buildCheckinStatement(true, false), buildCheckinStatement(false, true), buildCheckinStatement(true, true)];

/**
 * The write of check-ins with no webhook subscribed (checkinStatements[0], or [2] with `scan`) for
 * many check-ins at once: their records, audit events and outbox events (and scan log rows) as JSON
 * arrays in the same order (each made rows of its table's type by `json_populate_recordset`, so no
 * column needs a cast), each check-in's audit and outbox event inserted only with its record, the
 * records already there returned, a scan logged against whichever record its check-in has under its
 * (device_id, scan_id) key, one row per check-in tagged with its place (`batch_n`, from 1). One
 * statement: an error in any part leaves nothing of any of them. (Two scans of one scan_id are never
 * in one pass: checkinKeys.)
 */
function checkinWriteBatchSql(scan = false): string {
  const list = (columns: readonly string[]) => columns.join(', ');
  const of = (alias: string, columns: readonly string[]) => columns.map((c) => `${alias}.${c}`).join(', ');
  const scanInput = scan ? `,\nsi as (select * from json_populate_recordset(null::device_scans, $4::json) with ordinality as x)` : '';
  const scanLog = scan
    ? `,
sc as (
  insert into device_scans (${list(SCAN_COLUMNS)}, record_id)
  select ${of('si', SCAN_COLUMNS)}, t.id from si join (select ri.ordinality as n, rec.id from ri join rec on rec.id = ri.id union all select n, id from existing) t on t.n = si.ordinality
  on conflict (device_id, scan_id) do nothing returning id
)`
    : '';
  const logged = scan ? '(exists (select from sc join si on si.id = sc.id where si.ordinality = ri.ordinality))::int' : '0';
  return `with ri as (select * from json_populate_recordset(null::attendance_records, $1::json) with ordinality as x),
ai as (select * from json_populate_recordset(null::audit_events, $2::json) with ordinality as x),
ei as (select * from json_populate_recordset(null::outbox_events, $3::json) with ordinality as x)${scanInput},
rec as (
  insert into attendance_records (${list(RECORD_COLUMNS)}) select ${list(RECORD_COLUMNS)} from ri
  on conflict (session_id, student_id) do nothing returning id
),
aud as (
  insert into audit_events (${list(AUDIT_COLUMNS)}) select ${of('ai', AUDIT_COLUMNS)} from ai join ri on ri.ordinality = ai.ordinality join rec on rec.id = ri.id
),
ev as (
  insert into outbox_events (${list(EVENT_COLUMNS)}) select ${of('ei', EVENT_COLUMNS)} from ei join ri on ri.ordinality = ei.ordinality join rec on rec.id = ri.id
),
existing as (
  select ri.ordinality as n, r.* from ri join attendance_records r on r.session_id = ri.session_id and r.student_id = ri.student_id
  where not exists (select from rec where rec.id = ri.id)
)${scanLog}
select ri.ordinality as batch_n, (exists (select from rec where rec.id = ri.id))::int as inserted, ${logged} as logged, ${of('e', RECORD_ROW_KEYS)}
from ri left join existing e on e.n = ri.ordinality`;
}
type WriteRow = RecordRow & { inserted: number; logged: number };
const checkinWriteBatches = [preparedStatement<WriteRow & { batch_n: string }>(checkinWriteBatchSql(false)), preparedStatement<WriteRow & { batch_n: string }>(checkinWriteBatchSql(true))];

type WriteInput = { record: RecordRow; audit: CheckinRows['audit']; event: CheckinRows['outbox']['events'][number]; scan?: NonNullable<CheckinRows['scan']> };
/** The parameters checkinStatements begin with: the record's, the audit event's and the outbox event's columns. */
const writeParameters = ({ record, audit, event }: WriteInput) => [...RECORD_COLUMNS.map((c) => record[c]), ...AUDIT_COLUMNS.map((c) => audit[c] ?? null), ...EVENT_COLUMNS.map((c) => event[c])];
/** The parameters checkinStatements end with for a scan: its log row's columns. */
const scanParameters = (scan: WriteInput['scan']) => (scan ? SCAN_COLUMNS.map((c) => scan[c]) : []);
const pickColumns = (row: object, columns: readonly string[]) => {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = (row as Record<string, unknown>)[c] ?? null;
  return out;
};
/**
 * A check-in's write with no webhook delivery (a code check-in; with `scan`, a device scan): with the
 * others of its kind in its concurrent pass when it has any.
 */
const writesWithoutDeliveries = [false, true].map((scan) =>
  mergedStatement<WriteInput, WriteRow>(
    async (db, write) => (await checkinStatements[2 * Number(scan)](db, [...writeParameters(write), ...scanParameters(write.scan)])).rows[0],
    async (db, all) => {
      const json = (pick: (w: WriteInput) => object, columns: readonly string[]) => JSON.stringify(all.map((w) => pickColumns(pick(w), columns)));
      const parameters = [json((w) => w.record, RECORD_COLUMNS), json((w) => w.audit, AUDIT_COLUMNS), json((w) => w.event, EVENT_COLUMNS)];
      if (scan) parameters.push(json((w) => w.scan!, SCAN_COLUMNS));
      const { rows } = await checkinWriteBatches[Number(scan)](db, parameters);
      return rowsByCheckin(rows, all.length).map(([row]) => row);
    },
  ),
);

/**
 * Writes a self check-in: the record unless the session × student has one, and only with it its
 * audit event and outbox rows; and the scan log row (device scans). One statement on PostgreSQL (see
 * checkinStatements); on SQLite, whose transactions run one at a time in-process, the same rows by
 * the hot single-row inserts. Call it inside the check-in's transaction.
 */
export async function insertCheckin(db: Db, dialect: 'sqlite' | 'postgres', rows: CheckinRows): Promise<CheckinWrite> {
  const { record, audit, outbox, scan } = rows;
  if (dialect === 'postgres') {
    // One array per column of many rows (for unnest).
    const arrays = (list: readonly object[], columns: readonly string[]) => columns.map((c) => list.map((row) => (row as Record<string, unknown>)[c] ?? null));
    const deliveries = outbox.deliveries.length > 0;
    // A check-in is one change: one outbox event (its columns as scalars, its deliveries as arrays).
    if (outbox.events.length !== 1) throw new Error(`a check-in writes one outbox event, not ${outbox.events.length}`);
    const write: WriteInput = { record, audit, event: outbox.events[0], ...(scan ? { scan } : {}) };
    const r = !deliveries
      ? await writesWithoutDeliveries[Number(scan !== null)](db, write)
      : (
          await checkinStatements[1 + 2 * Number(scan !== null)](db, [...writeParameters(write), ...arrays(outbox.deliveries, DELIVERY_COLUMNS), ...scanParameters(write.scan)])
        ).rows[0];
    const { inserted, logged, ...existing } = r;
    const seen = existing.id !== null ? existing : undefined;
    return { inserted: inserted === 1, existing: seen, scanLogged: scan && (inserted === 1 || seen) ? logged === 1 : null };
  }
  const inserted = await insertRecordIfAbsent(db, record);
  let existing: RecordRow | undefined;
  if (inserted) {
    await insertAuditRow(db, audit);
    await insertOutboxRows(db, outbox);
  } else existing = await findRecord(db, record.session_id, record.student_id);
  const recordId = inserted ? record.id : existing?.id;
  const scanLogged = scan && recordId ? await insertScanIfAbsent(db, { ...scan, record_id: recordId }) : null;
  return { inserted, existing, scanLogged };
}

export function updateRecordRow(db: Db, id: string, patch: Partial<RecordRow>, expectedVersion?: number) {
  let q = db
    .updateTable('attendance_records')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('id', '=', id);
  if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
  return q.returningAll().executeTakeFirst();
}

/** Live counts for a session; `unmarked` is enrolled students without a record. */
/** The course a session belongs to (undefined when there is no such session). */
export async function courseOfSession(db: Db, sessionId: string): Promise<string | undefined> {
  return (await db.selectFrom('sessions').select('course_id').where('id', '=', sessionId).executeTakeFirst())?.course_id;
}

export async function sessionSummary(db: Db, sessionId: string, courseId: string): Promise<Summary> {
  const [enrolledRow, rows] = await Promise.all([
    db
      .selectFrom('enrollments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('course_id', '=', courseId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('attendance_records')
      .select(['status', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('session_id', '=', sessionId)
      .groupBy(['status', 'state'])
      .execute(),
  ]);
  const s: Summary = { enrolled: Number(enrolledRow.n), present: 0, late: 0, absent: 0, excused: 0, pending: 0, unmarked: 0 };
  let recorded = 0;
  for (const r of rows) {
    const n = Number(r.n);
    recorded += n;
    if (r.state === 'pending') s.pending += n;
    else s[r.status] += n;
  }
  s.unmarked = Math.max(0, s.enrolled - recorded);
  return s;
}

/** A student's records among the given sessions. */
export function recordsOfStudent(db: Db, studentId: string, sessionIds: string[]): Promise<RecordRow[]> {
  if (sessionIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('attendance_records')
    .selectAll()
    .where('student_id', '=', studentId)
    .where('session_id', 'in', sessionIds)
    .execute();
}

/** Locks and reads a record for change (PostgreSQL row lock; SQLite transactions are serial anyway). */
export function lockRecord(db: Db, dialect: 'sqlite' | 'postgres', sessionId: string, studentId: string): Promise<RecordRow | undefined> {
  let q = db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('student_id', '=', studentId);
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Pending records of a session (one student's, or all). */
export function pendingRecords(db: Db, sessionId: string, studentId: string | null): Promise<RecordRow[]> {
  let q = db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).where('state', '=', 'pending');
  if (studentId) q = q.where('student_id', '=', studentId);
  return q.orderBy('id').execute();
}

/** Updates a record only while it is still in `state`; the new row, or undefined if it moved on. */
export function updateRecordInState(db: Db, id: string, state: RecordRow['state'], patch: Partial<RecordRow>) {
  return db
    .updateTable('attendance_records')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('state', '=', state)
    .returningAll()
    .executeTakeFirst();
}

export function deleteRecordRow(db: Db, sessionId: string, studentId: string): Promise<RecordRow | undefined> {
  return db
    .deleteFrom('attendance_records')
    .where('session_id', '=', sessionId)
    .where('student_id', '=', studentId)
    .returningAll()
    .executeTakeFirst();
}

/** Inserts many new records (the close); rows another writer created meanwhile are skipped. Returns those inserted. */
export async function insertRecordsIfAbsent(db: Db, rows: RecordRow[]): Promise<RecordRow[]> {
  const inserted: RecordRow[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const ids = await db
      .insertInto('attendance_records')
      .values(chunk)
      .onConflict((oc) => oc.columns(['session_id', 'student_id']).doNothing())
      .returning('id')
      .execute();
    const got = new Set(ids.map((r) => r.id));
    for (const r of chunk) if (got.has(r.id)) inserted.push(r);
  }
  return inserted;
}

/** Enrolled students of the course without a record in the session, with what an event about them shows. */
export function unrecordedStudents(db: Db, sessionId: string, courseId: string) {
  return db
    .selectFrom('enrollments')
    .innerJoin('users', 'users.id', 'enrollments.student_id')
    .select(['users.id', 'users.name', 'users.student_number'])
    .where('enrollments.course_id', '=', courseId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('attendance_records')
            .select('attendance_records.id')
            .where('attendance_records.session_id', '=', sessionId)
            .whereRef('attendance_records.student_id', '=', 'enrollments.student_id'),
        ),
      ),
    )
    .orderBy('users.id')
    .execute();
}

/** Name and number of students (what record events carry). */
export function studentsByIds(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('users').select(['id', 'name', 'student_number']).where('id', 'in', ids).execute();
}

/** The `before` of the audit event that excused a record (to revert exactly what the excuse changed). */
export async function beforeExcuse(db: Db, recordId: string): Promise<string | null> {
  const row = await db
    .selectFrom('audit_events')
    .select('before')
    .where('entity', '=', 'record')
    .where('entity_id', '=', recordId)
    .where('action', '=', 'record.excused')
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.before ?? null;
}

/** SQLite: the check-in's read of the session's state and its browser's other records (a hotQuery below; exported for the test of its plan). */
export function writeContextQuery(db: Db, sessionId: string, browserId: string | null, studentId: string) {
  return db
    .selectFrom('sessions')
    .leftJoin('attendance_records', (j) =>
      j
        .onRef('attendance_records.session_id', '=', 'sessions.id')
        .on('attendance_records.browser_id', '=', browserId)
        .on('attendance_records.student_id', '!=', studentId),
    )
    .select('sessions.state as session_state')
    .selectAll('attendance_records')
    .where('sessions.id', '=', sessionId);
}

const writeContextQuerySqlite = hotQuery(writeContextQuery);

/** A user's row as a check-in needs it: who they are, their role and active flag, and their enrolment in one course. */
const studentInCourseQuery = hotQuery((db: Db, studentId: string, courseId: string) =>
  db
    .selectFrom('users')
    .leftJoin('enrollments', (j) => j.onRef('enrollments.student_id', '=', 'users.id').on('enrollments.course_id', '=', courseId))
    .select(['users.id', 'users.name', 'users.student_number', 'users.role', 'users.active', 'enrollments.course_id as enrolled'])
    .where('users.id', '=', studentId),
);

export type StudentInCourse = Awaited<ReturnType<typeof studentInCourseQuery>>['rows'][number];

/** The user's row with their enrolment in the course (also their role and active flag: what `requireUser` reads). A hotQuery. */
export async function studentInCourse(db: Db, studentId: string, courseId: string): Promise<StudentInCourse | undefined> {
  return (await studentInCourseQuery(db, studentId, courseId)).rows[0];
}

/** The scan log row's parameters of the scan variant of the check-in context statement ($8…$13; its session is $1). */
const CONTEXT_SCAN_COLUMNS = ['id', 'device_id', 'scan_id', 'student_number', 'scanned_at', 'created_at'] as const;

type ContextRow = {
  session_state: string | null;
  s_id: string | null;
  s_name: string;
  s_number: string | null;
  s_role: StudentInCourse['role'];
  s_active: number;
  s_enrolled: string | null;
  a_present: number;
  a_late: number;
  a_absent: number;
  a_excused: number;
  /** A scan's student's record already there (JSON of the row), and whether the scan was logged against it. */
  e_record: RecordRow | null;
  e_logged: number;
  /** A scan's device exists and is not revoked. */
  d_active: number;
  /** A scan's scan_id was logged before, against any record. */
  d_delivered: number;
} & { [K in keyof RecordRow]: RecordRow[K] | null };

/**
 * PostgreSQL: everything a check-in reads inside its transaction, as ONE statement (one round trip):
 * - the session's state, share-locked;
 * - the records in the session checked in from the browser ($2) by other students;
 * - when asked ($5) the student's row (role, active flag, name, number) with their enrolment in the
 *   course: by id ($3), or (device scans) an active student by number ($7);
 * - when asked ($6) the student's counts per status in the course's held sessions (the attendance
 *   figure the reply carries: the session being checked into is open, so its own record never counts);
 * - a device scan ($8…, the scan log row): whether its device ($9) is still not revoked; the student's
 *   record if they have one and, when they do, the session is open, they are enrolled, the device
 *   is not revoked and the record is not the close's automatic absence, the scan logged against it
 *   under its (device_id, scan_id) key — so a repeated scan needs nothing more. A replayed scan_id
 *   logs nothing (`e_logged` 0). And whether its scan_id was logged before, against any record
 *   (`d_delivered`), so that a new student's scan of a delivered scan_id is a replay before it writes.
 * One row per same-browser record, or one row. Written so that its generic plan (a prepared
 * statement) looks every row up by an index: the student by number first, then their role; the
 * record by session and student. The same-browser records are found by the browser
 * (attendance_records_browser_session_idx), the session compared as `session_id || ''`: a plain
 * `session_id = …` lets the planner take any index that starts with the session — on a table whose
 * statistics are still those of an empty one (a new database, or one that grew since its last
 * ANALYZE) it did, and walked every record of the session for every check-in (a lecture's
 * check-ins then cost PostgreSQL O(students) each; docs/performance-history.md). For the same reason the
 * attendance figure's held sessions are compared as `state || ''`: found by the course (or the
 * student's records), never by an index led by the state, which would walk every closed session of
 * the school. Exported for the test that examines its plan.
 */
export function checkinContextSql(scan: boolean, logScan = true): string {
  const u = scan
    ? `select id, name, student_number, role, active from users where $5::boolean and id = $3
  union all
  select id, name, student_number, role, active from (select * from users where $5::boolean and $3::text is null and student_number = $7 offset 0) n
  where role = 'student' and active = 1`
    : `select id, name, student_number, role, active from users where $5::boolean and id = $3`;
  const scanParts = scan
    ? `,
er as (select r.* from attendance_records r where r.session_id = $1 and r.student_id = (select id from su) and $9::text is not null),
d as (select id from devices where $9::text is not null and id = $9 and revoked_at is null),
lr as (
  select er.id from er, s, su, d
  where s.state = 'open' and su.enrolled is not null and not (er.method = 'auto' and er.status = 'absent')
)${
        logScan
          ? `,
sc as (
  insert into device_scans (id, device_id, scan_id, session_id, student_number, scanned_at, created_at, record_id)
  select $8, $9, $10, $1, $11, $12, $13, lr.id from lr
  on conflict (device_id, scan_id) do nothing returning id
)`
          : ''
      }`
    : '';
  // Merged (logScan false): instead of whether the scan was logged, the record to log it against (`e_log_record`).
  const scanColumns = scan
    ? `(select row_to_json(er.*) from er) as e_record, ${logScan ? '(select count(*) from sc)::int as e_logged' : '(select id from lr) as e_log_record'}, (select count(*) from d)::int as d_active,
  (select count(*) from device_scans ds where $9::text is not null and ds.device_id = $9 and ds.scan_id = $10)::int as d_delivered`
    : 'null as e_record, 0 as e_logged, 0 as d_active, 0 as d_delivered';
  return (
    `with s as (select id, state from sessions where id = $1 for share),
u as (
  ${u}
),
su as (select u.*, e.course_id as enrolled from u left join enrollments e on e.student_id = u.id and e.course_id = $4 limit 1)${scanParts}
select s.state as session_state,
  su.id as s_id, su.name as s_name, su.student_number as s_number, su.role as s_role, su.active as s_active, su.enrolled as s_enrolled,
  a.present as a_present, a.late as a_late, a.absent as a_absent, a.excused as a_excused,
  ${scanColumns},
  r.*
from (select 1) one
left join s on true
left join su on true
left join lateral (
  select count(*) filter (where ar.status = 'present')::int as present, count(*) filter (where ar.status = 'late')::int as late,
    count(*) filter (where ar.status = 'absent')::int as absent, count(*) filter (where ar.status = 'excused')::int as excused
  from attendance_records ar join sessions hs on hs.id = ar.session_id
  where $6::boolean and ar.student_id = coalesce(su.id, $3) and hs.course_id = $4 and hs.state || '' = '${HELD}'
) a on true
left join attendance_records r on r.browser_id = $2 and r.session_id || '' = s.id and r.student_id <> coalesce(su.id, $3)`
  );
}
/**
 * Two variants: with a device scan ($7…$13: the student by number, the device, the scan log row) and
 * without (a code, QR or link check-in: $1…$6 only), whose plan has no scan-log insert, device or
 * by-number parts to set up on each execution.
 */
const checkinContextStatements = { plain: preparedStatement<ContextRow>(checkinContextSql(false)), scan: preparedStatement<ContextRow>(checkinContextSql(true)) };

/**
 * A check-in's read (checkinContextSql) for many check-ins at once: its parameters as arrays ($1…$6,
 * and for scans $7…$13, in checkinContextSql's order), each check-in read by the same statement as a
 * lateral subquery over them, its rows tagged with the check-in's place (`batch_n`, from 1).
 * PostgreSQL then starts one statement for a group instead of one per check-in, and the server sends
 * and parses one.
 */
function lateralReads(scan: boolean, columns: string): string {
  const p = Array.from({ length: scan ? 13 : 6 }, (_, k) => `p${k + 1}`);
  const arrays = p.map((_, k) => `$${k + 1}::${k === 4 || k === 5 ? 'boolean' : 'text'}[]`);
  const perCheckin = checkinContextSql(scan, false).replace(/\$(1[0-3]|[1-9])(::boolean|::text)?\b/g, 'i.p$1');
  return `select i.n as batch_n, ${columns}c.*
from unnest(${arrays.join(', ')}) with ordinality as i(${p.join(', ')}, n)
cross join lateral (
${perCheckin}
) c`;
}

/** The code check-ins' read for many at once (lateralReads). Exported for the test that examines its plan. */
export function checkinContextBatchSql(): string {
  return lateralReads(false, '');
}

/**
 * The device scans' read for many at once (lateralReads). A data-modifying part may only stand at a
 * statement's top level, so the repeated scans are logged there, each against the record its own
 * read found (`e_log_record`), and each row says whether its scan was (`e_logged`).
 */
function checkinScanContextBatchSql(): string {
  return `with c as materialized (
${lateralReads(true, 'i.p8 as l_id, i.p9 as l_device, i.p10 as l_scan, i.p1 as l_session, i.p11 as l_number, i.p12 as l_scanned, i.p13 as l_created, ')}
),
sc as (
  insert into device_scans (id, device_id, scan_id, session_id, student_number, scanned_at, created_at, record_id)
  select distinct on (batch_n) l_id, l_device, l_scan, l_session, l_number, l_scanned, l_created, e_log_record from c where e_log_record is not null
  on conflict (device_id, scan_id) do nothing returning id
)
select c.*, (exists (select from sc where sc.id = c.l_id))::int as e_logged from c`;
}

type ContextParameters = [sessionId: string, browserId: string | null, studentId: string | null, courseId: string, student: boolean, attendance: boolean];
type ScanContextParameters = [...ContextParameters, studentNumber: string | null, ...scan: (string | null)[]];

/** A check-in's read: alone by `one`, with the others of its kind in its concurrent pass by the batch statement. */
function mergedRead<P extends unknown[]>(one: ReturnType<typeof preparedStatement<ContextRow>>, batchSql: string) {
  const batch = preparedStatement<ContextRow & { batch_n: string }>(batchSql);
  return mergedStatement<P, ContextRow[]>(
    async (db, parameters) => (await one(db, parameters)).rows,
    async (db, all) => {
      const columns = all[0].map((_, c) => all.map((parameters) => parameters[c]));
      return rowsByCheckin((await batch(db, columns)).rows, all.length);
    },
  );
}
const codeCheckinContextRows = mergedRead<ContextParameters>(checkinContextStatements.plain, checkinContextBatchSql());
/** Scans log a repeated scan in their read. */
const scanCheckinContextRows = mergedRead<ScanContextParameters>(checkinContextStatements.scan, checkinScanContextBatchSql());

export interface CheckinContextInput {
  sessionId: string;
  courseId: string;
  /** The student by id, or (device scans) an active student by number. */
  studentId: string | null;
  studentNumber?: string;
  /** Records from this browser for other students are returned (none for null). */
  browserId: string | null;
  /** Read the student's row (role, active flag, name, number) with their enrolment in the course. */
  student: boolean;
  /** Read the student's attendance figure in the course. */
  attendance: boolean;
  /** A device scan's log row (without its record): PostgreSQL logs it against a record already there. */
  scan?: Omit<Selectable<DeviceScansTable>, 'record_id'> | null;
}

export interface CheckinContext {
  /** The session's state (undefined: no such session). */
  state: string | undefined;
  fromBrowser: RecordRow[];
  /** When asked: the student's row, undefined when there is no such user. */
  student?: StudentInCourse;
  /** When asked: the student's attendance in the course's held sessions. */
  attendance?: CheckinAttendance;
  /** A device scan: its device exists and is not revoked (the scan route may not have read it: requireScanningDevice). */
  deviceActive?: boolean;
  /**
   * PostgreSQL, a device scan whose student has a record: the record (unlocked), and whether the
   * scan was logged against it (false: the session is not open, the student not enrolled, the record
   * is an automatic absence, or the scan_id was delivered before).
   */
  existing?: { record: RecordRow; scanLogged: boolean };
  /** PostgreSQL, a device scan: its scan_id was logged before (against any record) when the read began. */
  scanDelivered?: boolean;
}

/**
 * What a check-in needs to know inside its transaction: the session's state, the records in the
 * session checked in from `browserId` by other students (none for a null `browserId`), and when
 * asked the student's row and attendance figure. On PostgreSQL one statement (see
 * checkinContextStatements), with the session row share-locked: a close (which updates the session
 * row) waits for the record change, and the change waits for a close in progress, so no record is
 * written into a session that has just closed. On SQLite (transactions one at a time in-process)
 * the same by hot queries on the transaction's connection.
 */
export async function checkinContext(db: Db, dialect: 'sqlite' | 'postgres', input: CheckinContextInput): Promise<CheckinContext> {
  const { sessionId, courseId, studentId, browserId, scan } = input;
  const fromBrowser: RecordRow[] = [];
  if (dialect === 'postgres') {
    const common: ContextParameters = [sessionId, browserId, studentId, courseId, input.student, input.attendance];
    const rows =
      scan || input.studentNumber !== undefined
        ? await scanCheckinContextRows(db, [...common, input.studentNumber ?? null, ...CONTEXT_SCAN_COLUMNS.map((c) => (scan ? scan[c] : null))])
        : await codeCheckinContextRows(db, common);
    const first = rows[0];
    const ctx: CheckinContext = { state: first?.session_state ?? undefined, fromBrowser };
    for (const row of rows) {
      if (row.id === null) continue;
      const record = {} as Record<string, unknown>;
      for (const k of RECORD_ROW_KEYS) record[k] = row[k];
      fromBrowser.push(record as RecordRow);
    }
    if (input.student) {
      ctx.student = first?.s_id
        ? { id: first.s_id, name: first.s_name, student_number: first.s_number, role: first.s_role, active: first.s_active, enrolled: first.s_enrolled }
        : undefined;
    }
    if (input.attendance) {
      ctx.attendance = attendanceOf({ present: first?.a_present ?? 0, late: first?.a_late ?? 0, absent: first?.a_absent ?? 0, excused: first?.a_excused ?? 0 });
    }
    if (first?.e_record) ctx.existing = { record: first.e_record, scanLogged: first.e_logged === 1 };
    if (scan) {
      ctx.deviceActive = first?.d_active === 1;
      ctx.scanDelivered = first?.d_delivered === 1;
    }
    return ctx;
  }
  const { rows } = await writeContextQuerySqlite(db, sessionId, browserId, studentId ?? '');
  for (const { session_state: _, ...r } of rows) if (r.id !== null) fromBrowser.push(r as RecordRow);
  const ctx: CheckinContext = { state: rows[0]?.session_state, fromBrowser };
  if (input.student) {
    if (studentId !== null) ctx.student = await studentInCourse(db, studentId, courseId);
    else if (input.studentNumber !== undefined) {
      const s = await activeStudentByNumber(db, input.studentNumber);
      ctx.student = s ? await studentInCourse(db, s.id, courseId) : undefined;
    }
  }
  const attendingId = ctx.student?.id ?? studentId;
  if (input.attendance && attendingId !== null) ctx.attendance = await checkinAttendance(db, courseId, attendingId);
  if (scan) ctx.deviceActive = await deviceActive(db, scan.device_id);
  return ctx;
}

/** The session with what record events need of its course; share-locked on PostgreSQL (see checkinContext). */
export function sessionForWrite(db: Db, dialect: 'sqlite' | 'postgres', sessionId: string) {
  let q = db
    .selectFrom('sessions')
    .innerJoin('courses', 'courses.id', 'sessions.course_id')
    .select([
      'sessions.id',
      'sessions.course_id',
      'sessions.state',
      'sessions.starts_at',
      'sessions.opened_at',
      'courses.code as course_code',
    ])
    .where('sessions.id', '=', sessionId);
  if (dialect === 'postgres') q = q.forShare('sessions');
  return q.executeTakeFirst();
}

/** Every record of a session with its student's name and number, latest check-in first (the live list). */
export function sessionRecordRows(db: Db, sessionId: string) {
  return db
    .selectFrom('attendance_records')
    .innerJoin('users', 'users.id', 'attendance_records.student_id')
    .selectAll('attendance_records')
    .select(['users.name as student_name', 'users.student_number as student_number'])
    .where('attendance_records.session_id', '=', sessionId)
    .orderBy('attendance_records.checked_in_at', 'desc')
    .orderBy('attendance_records.id', 'desc')
    .execute();
}
