import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import type { AttendanceRecord, AttendanceStatus } from '../../../common/attendance.schemas.js';
import type { CheckinAttendance } from '../../../common/report.schemas.js';
import { sessionTopic, userTopic } from '../../../common/live-events.js';
import { commitGroupOf, commitWithNextStatement, NeedsOwnTransaction } from '../../db/commit-group.js';
import { isForeignKeyViolation } from '../../db/constraint-errors.js';
import type { Database } from '../../db/database.js';
import { AppError, conflict, deviceKeyRefused, notFound } from '../../errors.js';
import { newId, nowIso } from '../../lib/ids.js';
import { publish } from '../../realtime/live-events.js';
import { auditRow, insertAudit, insertAuditMany, type AuditInput } from '../audit/audit.repository.js';
import { insertScanIfAbsent } from '../devices/devices.repository.js';
import { insertEnrollments, isEnrolled } from '../enrollments/enrollments.repository.js';
import { insertUser } from '../users/users.repository.js';
import { enqueueOutbox, enqueueOutboxMany, outboxRows, type OutboxEventInput, type Subscribers } from '../webhooks/outbox.repository.js';
import {
  beforeExcuse,
  checkinContext,
  deleteRecordRow,
  findRecord,
  insertCheckin,
  insertRecordIfAbsent,
  insertRecordsIfAbsent,
  lockRecord,
  pendingRecords,
  sessionForWrite,
  studentsByIds,
  unrecordedStudents,
  updateRecordInState,
  updateRecordRow,
  type RecordRow,
} from './records.repository.js';
import { parseFlags, toRecord } from './records.service.js';
import type { CheckinWriterThread } from './writer-thread.js';
import { admitStudent, type AdmitRule } from './admit.js';
import { ReplayedScan } from './carried-error.js';

/**
 * The one write command for attendance records. Every change of a record — the self check-ins
 * (code, QR, link, device scan), roll call and teacher edits, confirmations, the close's absences,
 * excuses from approved absence requests and their revision, an admin's delete — is a command
 * applied here. A command:
 *
 * - guards the session's state inside the transaction (a share lock on PostgreSQL, so a close and a
 *   record change never interleave);
 * - writes the record, its audit event and its outbox event (with one delivery per subscribed
 *   webhook) in the same transaction, so all three commit or none does;
 * - returns the changes, which are published live only after the commit (staff on `session:<id>`,
 *   the student on `user:<id>`), and announced to in-process listeners (`app.attendanceChanged`).
 *
 * `writeRecords(app, command)` runs one command in its own transaction (self check-ins join the
 * SQLite group commit). `withRecordWriter(app, work)` lets a service put its own rows (a session's
 * state change, an absence request's decision) and several commands in one transaction.
 * No other code inserts, updates or deletes `attendance_records`.
 */

type Trx = Transaction<Database>;
type Dialect = FastifyInstance['dialect'];

export interface StudentRef {
  id: string;
  name: string;
  studentNumber: string | null;
}

/** A self check-in (typed code, QR token, link, device scan), already decided by the check-in policy. */
export interface CheckinCommand {
  type: 'checkin';
  session: { id: string; courseId: string; courseCode: string };
  /**
   * The student, or (a signed-in student's code or QR check-in, a device scan) their id or number
   * with `admit`: the writer then reads their row — role, active flag, name, number and enrolment in
   * the course — in the transaction's first statement, and the rule admits them or throws (401/403,
   * not enrolled, the policy's refusal) before anything is written.
   */
  student: StudentRef | StudentToAdmit;
  /** Also read the student's attendance figure in the course (the check-in reply carries it) in that statement. */
  attendance?: boolean;
  method: 'code' | 'qr' | 'link' | 'device';
  /** From `decideCheckin`: the status, the state (pending when approval is required) and flags. */
  decision: { status: 'present' | 'late'; state: 'confirmed' | 'pending'; flags: string[] };
  /** When the student arrived (ms since epoch): a device's scan time, else now. */
  at?: number;
  /** The browser the check-in came from, for shared-device detection. */
  browserId?: string | null;
  /** `browserId` was minted by this request: no other record can carry it. */
  newBrowser?: boolean;
  actorId: string | null;
  /** The audit event's reason (e.g. which device scanned). */
  reason?: string | null;
  /** Link check-in: enrol the student in the course (created first when `create` is given) in the same transaction. */
  enroll?: { method: 'link'; create?: { username: string; name: string; studentNumber: string } };
  /** Device scan: the scan log row, written in the same transaction; a replayed `scanId` rolls the command back. */
  scan?: { deviceId: string; scanId: string; studentNumber: string };
}

/** A student known by id only, checked by `admit` against their row read inside the transaction. */
export interface StudentToAdmit {
  /** By id, or (device scans: `id` undefined) an active student by number. */
  id?: string;
  studentNumber?: string;
  admit: AdmitRule;
}

/** A check-in command whose student is known. */
type AdmittedCheckin = Omit<CheckinCommand, 'student'> & { student: StudentRef };

/** Roll call and later edits by the course's staff. */
export interface MarkCommand {
  type: 'mark';
  sessionId: string;
  studentId: string;
  status: AttendanceStatus;
  /** `undefined` keeps the current note. */
  note?: string | null;
  /** When given, a record at another version is 409 `conflict` instead of last-writer-wins. */
  expectedVersion?: number;
  actorId: string;
}

/** Pending self check-ins → confirmed (one student's, or every pending one of the session). */
export interface ConfirmCommand {
  type: 'confirm';
  sessionId: string;
  studentId: string | null;
  actorId: string;
}

/** An admin removes a record (the audit event keeps it whole). */
export interface DeleteCommand {
  type: 'delete';
  sessionId: string;
  studentId: string;
  actorId: string;
  reason: string | null;
}

/** An approved absence request excuses the student's `absent` record in the session (if it has one). */
export interface ExcuseCommand {
  type: 'excuse';
  sessionId: string;
  studentId: string;
  absenceId: string;
  actorId: string | null;
  reason?: string | null;
}

/** A revised decision reverts the record that absence excused (and only such a record). */
export interface UnexcuseCommand {
  type: 'unexcuse';
  sessionId: string;
  studentId: string;
  absenceId: string;
  actorId: string | null;
  reason?: string | null;
}

/**
 * The close's records: every enrolled student without one becomes `absent` (method `auto`), or
 * `excused` (method `absence`) when `excusedBy` names their approved absence. Apply it inside the
 * transaction that moves the session to `closed`.
 */
export interface CloseCommand {
  type: 'close';
  sessionId: string;
  actorId: string | null;
  /** The approved absences covering the session: student id → absence request id (read in the same transaction). */
  excusedBy?: (trx: Trx) => Promise<Map<string, string>>;
}

/** A past record written as it was (the demo school; attendance brought over from elsewhere); skipped if the student has one. */
export interface ImportCommand {
  type: 'import';
  sessionId: string;
  student: StudentRef;
  status: AttendanceStatus;
  method: RecordRow['method'];
  checkedInAt: string | null;
  /** When it was recorded. */
  at: string;
  note: string | null;
  actorId: string | null;
  reason: string;
}

export type RecordCommand =
  | CheckinCommand
  | MarkCommand
  | ConfirmCommand
  | DeleteCommand
  | ExcuseCommand
  | UnexcuseCommand
  | CloseCommand
  | ImportCommand;

/** One committed change of one record. */
export interface RecordChange {
  kind: 'created' | 'updated' | 'deleted';
  /** The audit action (`record.checked_in`, `record.marked`, `record.updated`, …). */
  action: string;
  sessionId: string;
  courseId: string;
  studentId: string;
  student: StudentRef;
  /** The record after the change (null once deleted) and before it (null when created). */
  record: AttendanceRecord | null;
  before: AttendanceRecord | null;
  /** A new self check-in: staff see CHECKIN {record, student} rather than RECORD_UPDATED. */
  checkin: boolean;
  /** Part of a bulk change (the close): staff get the session's own events instead of one per record. */
  bulk: boolean;
}

export interface CommandResult {
  changes: RecordChange[];
  /** The record of the command's student as it stands after the command (changed or not). */
  record: AttendanceRecord | null;
  /** A check-in with `attendance`: the student's attendance figure in the course, read in the transaction. */
  attendance?: CheckinAttendance;
  /** A check-in: the student it was for (from `admit` when the writer read them). */
  student?: StudentRef;
}

/** Listeners of committed record changes, grouped per course and session (warnings, delivery wake-up). */
export interface AttendanceChangedEvent {
  courseId: string;
  sessionId: string;
  studentIds: string[];
  /** Every change was a check-in: the session is open, so nothing held (no percentage) moved. */
  checkinsOnly: boolean;
}

export class AttendanceChanged {
  private readonly listeners = new Set<(e: AttendanceChangedEvent) => void>();
  on(listener: (e: AttendanceChangedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(e: AttendanceChangedEvent, log: FastifyInstance['log']): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        log.warn({ err }, 'an attendance-changed listener failed');
      }
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Committed record changes, after publishing (see record-writer.ts). */
    attendanceChanged: AttendanceChanged;
    /** SQLite: the thread self check-ins are written on (writer-thread.ts); null when there is none. */
    checkinWriter: CheckinWriterThread | null;
  }
}

export { ReplayedScan } from './carried-error.js';

const sessionNotOpen = (state: string | undefined) =>
  new AppError(
    409,
    'session_not_open',
    'Session not open',
    state === 'closed' ? 'This session is already closed.' : `This session is ${state ?? 'gone'}; check-in is not open.`,
  );
const invalidState = (detail: string) => new AppError(409, 'invalid_state', 'Invalid session state', detail);
const notEnrolled = () => new AppError(403, 'not_enrolled', 'Not enrolled', 'This student is not enrolled in the course of this session.');

/** Sessions whose records staff can mark and edit: open ones, and closed ones (edits after the fact). */
const MARKABLE = new Set(['open', 'closed']);

/** The writer inside one transaction: apply commands; `withRecordWriter` publishes what they changed after the commit. */
export class RecordWriter {
  readonly changes: RecordChange[] = [];

  constructor(
    /** The transaction: a service may write its own rows with it (always through its repositories). */
    readonly trx: Trx,
    private readonly dialect: Dialect,
    private readonly subscribers: Subscribers,
  ) {}

  /** What the last check-in command read besides its record (see CommandResult). */
  private checkinExtras: Pick<CommandResult, 'attendance' | 'student'> = {};

  async apply(command: RecordCommand): Promise<CommandResult> {
    const from = this.changes.length;
    this.checkinExtras = {};
    const record = await this.dispatch(command);
    return { changes: this.changes.slice(from), record, ...this.checkinExtras };
  }

  private dispatch(c: RecordCommand): Promise<AttendanceRecord | null> {
    switch (c.type) {
      case 'checkin':
        return this.checkin(c);
      case 'mark':
        return this.mark(c);
      case 'confirm':
        return this.confirm(c);
      case 'delete':
        return this.remove(c);
      case 'excuse':
        return this.excuse(c);
      case 'unexcuse':
        return this.unexcuse(c);
      case 'close':
        return this.close(c);
      case 'import':
        return this.importRecord(c);
    }
  }

  private async checkin(command: CheckinCommand): Promise<AttendanceRecord | null> {
    const { trx } = this;
    // The session's state, (a returning phone) the other students' records from its browser and,
    // when asked, the student's row and attendance figure: one read (one statement on PostgreSQL).
    const browserId = command.browserId && !command.newBrowser ? command.browserId : null;
    const toAdmit = 'admit' in command.student ? command.student : null;
    const when = command.at ?? Date.now();
    const now = new Date(when).toISOString();
    const scan = command.scan
      ? { id: newId(), device_id: command.scan.deviceId, scan_id: command.scan.scanId, session_id: command.session.id, student_number: command.scan.studentNumber, scanned_at: now, created_at: nowIso() }
      : null;
    const context = await checkinContext(trx, this.dialect, {
      sessionId: command.session.id,
      courseId: command.session.courseId,
      studentId: command.student.id ?? null,
      studentNumber: toAdmit?.studentNumber,
      browserId,
      student: toAdmit !== null,
      attendance: command.attendance ?? false,
      scan,
    });
    // Who is asking comes first: a device whose key was revoked (the scan route may have taken the
    // device from the keys this node accepted before, unread: requireScanningDevice), then the
    // student (401/403, not enrolled), then the session's state.
    if (scan && !context.deviceActive) throw deviceKeyRefused();
    const student = toAdmit ? admitStudent(toAdmit.admit, toAdmit.studentNumber, context.student) : (command.student as StudentRef);
    const c: AdmittedCheckin = { ...command, student };
    const { state, fromBrowser: others } = context;
    if (state !== 'open') throw sessionNotOpen(state);
    this.checkinExtras = { attendance: context.attendance, student };
    // A device scan of a student already recorded: the read logged the scan against their record
    // (nothing else changes), or found its scan_id delivered before.
    if (scan && context.existing && !(context.existing.record.method === 'auto' && context.existing.record.status === 'absent')) {
      if (!context.existing.scanLogged) throw new ReplayedScan();
      return toRecord(context.existing.record);
    }
    // A new student's scan whose scan_id was delivered before (PostgreSQL reads it): a replay, before anything is written.
    if (scan && !context.existing && context.scanDelivered) throw new ReplayedScan();
    if (c.enroll) await this.enrollByLink(c);
    const row: RecordRow = {
      id: newId(),
      session_id: c.session.id,
      student_id: c.student.id,
      status: c.decision.status,
      state: c.decision.state,
      method: c.method,
      checked_in_at: now,
      updated_at: now,
      updated_by: c.actorId,
      note: null,
      flags: JSON.stringify(others.length ? [...c.decision.flags, 'shared-device'] : c.decision.flags),
      browser_id: c.browserId ?? null,
      version: 1,
      absence_id: null,
    };
    const created = this.describe({ kind: 'created', action: 'record.checked_in', row, before: null, student: c.student, courseId: c.session.courseId, courseCode: c.session.courseCode, actorId: c.actorId, reason: c.reason ?? null, checkin: true });
    // A check-in alone in its transaction on PostgreSQL (or the last of its group, or with the rest
    // of a concurrent pass in one merged write) sends the COMMIT with the write (one round trip
    // less) when nothing can follow the write: no enrolment, no other record of the browser to
    // flag, and for a scan no record found by the read (one to reopen or log against). A record
    // already there is then answered as it was read; one to read again locked or to reopen, or a
    // scan not logged against it, runs again in a transaction of its own.
    const finishWithWrite = !c.enroll && others.length === 0 && (!scan || !context.existing) && (await commitWithNextStatement(trx));
    // The record, its audit event and outbox rows (and the scan log row): one statement on PostgreSQL.
    const outbox = outboxRows([created.event], this.subscribers);
    const written = await insertCheckin(trx, this.dialect, {
      record: row,
      audit: auditRow(created.audit, nowIso()),
      outbox,
      scan,
    }).catch((err: unknown) => {
      // The record the statement saw (unlocked) was deleted before the scan log's reference to it was
      // checked: the same answer as a locking read that finds it gone.
      if (scan && isForeignKeyViolation(err)) throw conflict('The record changed meanwhile; try again.');
      throw err;
    });
    let result: RecordRow;
    let scanLogged = written.scanLogged;
    if (written.inserted) {
      this.changes.push(created.change);
      result = row;
    } else {
      // Already recorded. The statement's unlocked read serves unless the record is to change (or
      // was committed after the statement began): then it is read again, locked.
      let existing = written.existing;
      const reopened = (r: RecordRow) => r.method === 'auto' && r.status === 'absent';
      // Committed with the write, which wrote nothing: the rest needs a transaction.
      if (finishWithWrite && (!existing || reopened(existing))) throw new NeedsOwnTransaction();
      if (!existing || reopened(existing)) existing = await lockRecord(trx, this.dialect, c.session.id, c.student.id);
      if (!existing) throw conflict('The record changed meanwhile; try again.');
      result = existing;
      // A session reopened after its close: the close's `auto` absence gives way to the late
      // arrival. Anything a person set (a teacher's mark, an excuse) is never overwritten.
      if (reopened(existing)) {
        const updated = await updateRecordRow(
          trx,
          existing.id,
          { status: row.status, state: row.state, method: row.method, checked_in_at: now, updated_at: now, updated_by: c.actorId, flags: row.flags, browser_id: row.browser_id },
          existing.version,
        );
        if (!updated) throw conflict('The record changed meanwhile; try again.');
        await this.recorded({ kind: 'updated', action: 'record.checked_in', row: updated, before: existing, student: c.student, courseId: c.session.courseId, courseCode: c.session.courseCode, actorId: c.actorId, reason: c.reason ?? 'checked in after the session was reopened', checkin: false });
        result = updated;
      }
    }
    // The statement logs the scan when it had a record to point to; otherwise (read again above) it is logged here.
    if (scan && scanLogged === null) scanLogged = await insertScanIfAbsent(trx, { ...scan, record_id: result.id });
    if (scan && !scanLogged) {
      if (!finishWithWrite) throw new ReplayedScan();
      // Committed with the write. A record it found there (nothing written): read again in a
      // transaction of its own, where the scan is a replay. A record it inserted stays and is
      // answered: its scan_id, free when the read ran, was logged by another scan at that instant.
      if (!written.inserted) throw new NeedsOwnTransaction();
    }
    // Flag the other records checked in from this browser only when this call made a check-in.
    if (this.changes.some((ch) => ch.record?.id === result.id && ch.action === 'record.checked_in')) await this.flagSharedDevice(others, c, now);
    const record = toRecord(result);
    // A record this check-in created has, as its latest event, the one it queued: its sync state is
    // known without a read (pending while it has deliveries; record-sync fills in only null).
    if (written.inserted && outbox.deliveries.length > 0) record.sync = 'pending';
    return record;
  }

  /** Link self-enrolment: the new student (if any) and the enrollment, audited, in the check-in's transaction. */
  private async enrollByLink(c: AdmittedCheckin): Promise<void> {
    const { trx } = this;
    const now = nowIso();
    const reason = 'self-enrolled through the session link';
    const create = c.enroll?.create;
    if (create) {
      // A number taken meanwhile (two phones at once) fails the unique key: the caller retries as a known student.
      await insertUser(trx, {
        id: c.student.id,
        role: 'student',
        username: create.username,
        email: null,
        name: create.name,
        phone: null,
        student_number: create.studentNumber,
        staff_number: null,
        section_id: null,
        active: 1,
        password_hash: null,
        created_at: now,
        updated_at: now,
      });
      await insertAudit(trx, {
        actorId: null,
        action: 'user.created',
        entity: 'user',
        entityId: c.student.id,
        after: { id: c.student.id, role: 'student', username: create.username, name: create.name, studentNumber: create.studentNumber },
        reason,
      });
    }
    const added = await insertEnrollments(trx, c.session.courseId, [c.student.id], 'link', now);
    if (added.length === 1) {
      await insertAudit(trx, {
        actorId: null,
        action: 'enrollment.created',
        entity: 'enrollment',
        entityId: `${c.session.courseId}:${c.student.id}`,
        studentId: c.student.id,
        sessionId: c.session.id,
        after: { courseId: c.session.courseId, studentId: c.student.id, method: 'link' },
        reason,
      });
    }
  }

  /** Records checked in from the same browser for other students get the `shared-device` flag too. */
  private async flagSharedDevice(others: RecordRow[], c: AdmittedCheckin, now: string): Promise<void> {
    if (others.length === 0) return;
    const students = new Map((await studentsByIds(this.trx, others.map((o) => o.student_id))).map((s) => [s.id, s]));
    for (const other of others) {
      const otherFlags = parseFlags(other.flags);
      if (otherFlags.includes('shared-device')) continue;
      const updated = await updateRecordRow(this.trx, other.id, { flags: JSON.stringify([...otherFlags, 'shared-device']), updated_at: now });
      if (!updated) continue;
      const s = students.get(other.student_id);
      await this.recorded({
        kind: 'updated',
        action: 'record.flagged',
        row: updated,
        before: other,
        student: { id: other.student_id, name: s?.name ?? '', studentNumber: s?.student_number ?? null },
        courseId: c.session.courseId,
        courseCode: c.session.courseCode,
        actorId: null,
        reason: `the same browser checked in ${c.student.name}`,
        checkin: false,
      });
    }
  }

  private async mark(c: MarkCommand): Promise<AttendanceRecord | null> {
    const { trx } = this;
    const session = await this.markableSession(c.sessionId);
    const now = nowIso();
    let before = await lockRecord(trx, this.dialect, c.sessionId, c.studentId);
    const student = await this.student(c.studentId);
    if (!before) {
      if (!(await isEnrolled(trx, session.course_id, c.studentId))) throw notEnrolled();
      if (c.expectedVersion !== undefined) throw conflict('This student has no record yet (it may have been deleted); reload and mark again.');
      const row: RecordRow = {
        id: newId(),
        session_id: c.sessionId,
        student_id: c.studentId,
        status: c.status,
        state: 'confirmed',
        method: 'rollcall',
        checked_in_at: c.status === 'present' || c.status === 'late' ? now : null,
        updated_at: now,
        updated_by: c.actorId,
        note: c.note ?? null,
        flags: '[]',
        browser_id: null,
        version: 1,
        absence_id: null,
      };
      if (await insertRecordIfAbsent(trx, row)) {
        await this.recorded({ kind: 'created', action: 'record.marked', row, before: null, student, courseId: session.course_id, courseCode: session.course_code, actorId: c.actorId, reason: row.note, checkin: false });
        return toRecord(row);
      }
      // Another mark or check-in created it meanwhile: this mark becomes an edit of it.
      before = await lockRecord(trx, this.dialect, c.sessionId, c.studentId);
      if (!before) throw conflict('The record changed meanwhile; try again.');
    }
    if (c.expectedVersion !== undefined && c.expectedVersion !== before.version) {
      throw conflict(`The record is at version ${before.version}, not ${c.expectedVersion}: someone changed it meanwhile. Reload it.`);
    }
    const note = c.note === undefined ? before.note : c.note;
    if (before.status === c.status && before.state === 'confirmed' && before.note === note) return toRecord(before);
    const arrives = c.status === 'present' || c.status === 'late';
    const updated = await updateRecordRow(
      trx,
      before.id,
      {
        status: c.status,
        state: 'confirmed',
        note,
        checked_in_at: before.checked_in_at ?? (arrives ? now : null),
        // A teacher's mark replaces an excuse: the absence no longer owns this record.
        absence_id: c.status === 'excused' ? before.absence_id : null,
        updated_at: now,
        updated_by: c.actorId,
      },
      before.version,
    );
    if (!updated) throw conflict('The record changed meanwhile; try again.');
    await this.recorded({ kind: 'updated', action: 'record.updated', row: updated, before, student, courseId: session.course_id, courseCode: session.course_code, actorId: c.actorId, reason: c.note ?? null, checkin: false });
    return toRecord(updated);
  }

  private async confirm(c: ConfirmCommand): Promise<AttendanceRecord | null> {
    const session = await this.sessionOf(c.sessionId);
    const pending = await pendingRecords(this.trx, c.sessionId, c.studentId);
    if (c.studentId && pending.length === 0) {
      const existing = await findRecord(this.trx, c.sessionId, c.studentId);
      if (!existing) throw new AppError(404, 'not_found', 'Record not found', 'This student has no check-in in this session.');
      return toRecord(existing);
    }
    const students = new Map((await studentsByIds(this.trx, pending.map((p) => p.student_id))).map((s) => [s.id, s]));
    const now = nowIso();
    let last: AttendanceRecord | null = null;
    for (const p of pending) {
      const updated = await updateRecordInState(this.trx, p.id, 'pending', { state: 'confirmed', updated_at: now, updated_by: c.actorId });
      if (!updated) continue;
      const s = students.get(p.student_id);
      await this.recorded({
        kind: 'updated',
        action: 'record.confirmed',
        row: updated,
        before: p,
        student: { id: p.student_id, name: s?.name ?? '', studentNumber: s?.student_number ?? null },
        courseId: session.course_id,
        courseCode: session.course_code,
        actorId: c.actorId,
        reason: null,
        checkin: false,
      });
      last = toRecord(updated);
    }
    return last;
  }

  private async remove(c: DeleteCommand): Promise<AttendanceRecord | null> {
    const session = await this.sessionOf(c.sessionId);
    const row = await deleteRecordRow(this.trx, c.sessionId, c.studentId);
    if (!row) throw notFound('Record');
    const student = await this.student(c.studentId);
    await this.recorded({ kind: 'deleted', action: 'record.deleted', row: null, before: row, student, courseId: session.course_id, courseCode: session.course_code, actorId: c.actorId, reason: c.reason, checkin: false });
    return null;
  }

  private async excuse(c: ExcuseCommand): Promise<AttendanceRecord | null> {
    const session = await this.sessionOf(c.sessionId);
    if (session.state === 'cancelled') return null;
    const before = await lockRecord(this.trx, this.dialect, c.sessionId, c.studentId);
    // No record yet: an open or scheduled session's close will excuse the student (CloseCommand.excusedBy).
    if (!before || before.status !== 'absent') return before ? toRecord(before) : null;
    const now = nowIso();
    const updated = await updateRecordRow(
      this.trx,
      before.id,
      { status: 'excused', state: 'confirmed', method: 'absence', absence_id: c.absenceId, updated_at: now, updated_by: c.actorId },
      before.version,
    );
    if (!updated) throw conflict('The record changed meanwhile; try again.');
    const student = await this.student(c.studentId);
    await this.recorded({ kind: 'updated', action: 'record.excused', row: updated, before, student, courseId: session.course_id, courseCode: session.course_code, actorId: c.actorId, reason: c.reason ?? 'absence request approved', checkin: false });
    return toRecord(updated);
  }

  private async unexcuse(c: UnexcuseCommand): Promise<AttendanceRecord | null> {
    const session = await this.sessionOf(c.sessionId);
    const before = await lockRecord(this.trx, this.dialect, c.sessionId, c.studentId);
    if (!before || before.absence_id !== c.absenceId || before.status !== 'excused') return before ? toRecord(before) : null;
    // Back to what the excuse replaced; a record the close excused directly was an `auto` absence.
    const replaced = parseRecordJson(await beforeExcuse(this.trx, before.id));
    const now = nowIso();
    const updated = await updateRecordRow(
      this.trx,
      before.id,
      {
        status: 'absent',
        state: 'confirmed',
        method: replaced?.method && replaced.method !== 'absence' ? replaced.method : 'auto',
        note: replaced ? replaced.note : before.note,
        absence_id: null,
        updated_at: now,
        updated_by: c.actorId,
      },
      before.version,
    );
    if (!updated) throw conflict('The record changed meanwhile; try again.');
    const student = await this.student(c.studentId);
    await this.recorded({ kind: 'updated', action: 'record.unexcused', row: updated, before, student, courseId: session.course_id, courseCode: session.course_code, actorId: c.actorId, reason: c.reason ?? 'absence decision revised', checkin: false });
    return toRecord(updated);
  }

  private async close(c: CloseCommand): Promise<AttendanceRecord | null> {
    const session = await this.sessionOf(c.sessionId);
    if (session.state !== 'closed') throw invalidState('Close the session (in this transaction) before recording its absences.');
    const missing = await unrecordedStudents(this.trx, c.sessionId, session.course_id);
    if (missing.length === 0) return null;
    const excused = c.excusedBy ? await c.excusedBy(this.trx) : new Map<string, string>();
    const now = nowIso();
    const rows: RecordRow[] = missing.map((m) => {
      const absenceId = excused.get(m.id) ?? null;
      return {
        id: newId(),
        session_id: c.sessionId,
        student_id: m.id,
        status: absenceId ? 'excused' : 'absent',
        state: 'confirmed',
        method: absenceId ? 'absence' : 'auto',
        checked_in_at: null,
        updated_at: now,
        updated_by: c.actorId,
        note: null,
        flags: '[]',
        browser_id: null,
        version: 1,
        absence_id: absenceId,
      };
    });
    const inserted = await insertRecordsIfAbsent(this.trx, rows);
    const names = new Map(missing.map((m) => [m.id, m]));
    const audits: AuditInput[] = [];
    const events: OutboxEventInput[] = [];
    for (const row of inserted) {
      const m = names.get(row.student_id)!;
      const student = { id: m.id, name: m.name, studentNumber: m.student_number };
      const record = toRecord(row);
      const action = row.method === 'absence' ? 'record.excused' : 'record.auto_absent';
      const reason = row.method === 'absence' ? 'approved absence request when the session closed' : 'no check-in when the session closed';
      audits.push({ actorId: c.actorId, action, entity: 'record', entityId: row.id, sessionId: c.sessionId, studentId: row.student_id, after: record, reason });
      events.push(recordEvent('record.created', record, student, { id: session.course_id, code: session.course_code }));
      this.changes.push({ kind: 'created', action, sessionId: c.sessionId, courseId: session.course_id, studentId: row.student_id, student, record, before: null, checkin: false, bulk: true });
    }
    await insertAuditMany(this.trx, audits);
    await enqueueOutboxMany(this.trx, events, this.subscribers);
    return null;
  }

  private async importRecord(c: ImportCommand): Promise<AttendanceRecord | null> {
    const session = await this.markableSession(c.sessionId);
    const row: RecordRow = {
      id: newId(),
      session_id: c.sessionId,
      student_id: c.student.id,
      status: c.status,
      state: 'confirmed',
      method: c.method,
      checked_in_at: c.checkedInAt,
      updated_at: c.at,
      updated_by: c.actorId,
      note: c.note,
      flags: '[]',
      browser_id: null,
      version: 1,
      absence_id: null,
    };
    if (!(await insertRecordIfAbsent(this.trx, row))) return null;
    await this.recorded({ kind: 'created', action: 'record.imported', row, before: null, student: c.student, courseId: session.course_id, courseCode: session.course_code, actorId: c.actorId, reason: c.reason, checkin: false });
    return toRecord(row);
  }

  private async markableSession(sessionId: string) {
    const session = await this.sessionOf(sessionId);
    if (!MARKABLE.has(session.state)) {
      throw invalidState(
        session.state === 'cancelled' ? 'The session was cancelled; it has no attendance.' : 'The session has not been opened yet: open it first.',
      );
    }
    return session;
  }

  /** The session (share-locked on PostgreSQL, like the check-in's state read) with its course code. */
  private async sessionOf(sessionId: string) {
    const session = await sessionForWrite(this.trx, this.dialect, sessionId);
    if (!session) throw notFound('Session');
    return session;
  }

  private async student(id: string): Promise<StudentRef> {
    const [s] = await studentsByIds(this.trx, [id]);
    return { id, name: s?.name ?? '', studentNumber: s?.student_number ?? null };
  }

  /** The audit event and the outbox event of one change, and the change itself for publishing. */
  private async recorded(x: ChangeInput): Promise<void> {
    const { audit, event, change } = this.describe(x);
    await insertAudit(this.trx, audit);
    await enqueueOutbox(this.trx, [event], this.subscribers);
    this.changes.push(change);
  }

  /** What `recorded` writes and publishes for a change, without writing it. */
  private describe(x: ChangeInput): { audit: AuditInput; event: OutboxEventInput; change: RecordChange } {
    const record = x.row ? toRecord(x.row) : null;
    const before = x.before ? toRecord(x.before) : null;
    const subject = (x.row ?? x.before)!;
    const type = x.kind === 'created' ? 'record.created' : x.kind === 'updated' ? 'record.updated' : 'record.deleted';
    return {
      audit: {
        actorId: x.actorId,
        action: x.action,
        entity: 'record',
        entityId: subject.id,
        sessionId: subject.session_id,
        studentId: subject.student_id,
        before,
        after: record,
        reason: x.reason,
      },
      event: recordEvent(type, (record ?? before)!, x.student, { id: x.courseId, code: x.courseCode }),
      change: {
        kind: x.kind,
        action: x.action,
        sessionId: subject.session_id,
        courseId: x.courseId,
        studentId: subject.student_id,
        student: x.student,
        record,
        before,
        checkin: x.checkin,
        bulk: false,
      },
    };
  }
}

interface ChangeInput {
  kind: RecordChange['kind'];
  action: string;
  row: RecordRow | null;
  before: RecordRow | null;
  student: StudentRef;
  courseId: string;
  courseCode: string;
  actorId: string | null;
  reason: string | null;
  checkin: boolean;
}

function recordEvent(
  type: 'record.created' | 'record.updated' | 'record.deleted',
  record: AttendanceRecord,
  student: StudentRef,
  course: { id: string; code: string },
): OutboxEventInput {
  const { sync: _, ...data } = record;
  return { type, orderKey: record.sessionId, recordId: record.id, data: { record: { ...data, student, course } } };
}

function parseRecordJson(text: string | null): { method?: RecordRow['method']; note?: string | null } | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { method?: RecordRow['method']; note?: string | null };
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}

/**
 * The transaction a command runs in. Check-ins (self, link and device scans) join the group commit
 * (see CommitGroup: check-ins arriving together share one BEGIN … COMMIT, each still all-or-nothing;
 * on SQLite in its one writer, on PostgreSQL in a few lanes at once, the check-ins of a lane's group
 * side by side unless checkinKeys says they touch the same rows); everything else gets a transaction
 * of its own.
 */
function runTransaction<T>(app: FastifyInstance, options: GroupOptions, work: (trx: Trx) => Promise<T>): Promise<T> {
  if (!options.grouped) return app.db.transaction().execute(work);
  return commitGroupOf(app.db, app.dialect).run(work, { concurrentKeys: options.concurrentKeys });
}

interface GroupOptions {
  /** Join the group commit (check-ins). */
  grouped?: boolean;
  /** The group may run this work at the same time as others that hold none of these keys (RunOptions.concurrentKeys). */
  concurrentKeys?: readonly string[];
}

/**
 * What a check-in's work depends on besides itself: the student's record in the session, the
 * records of the same browser in the session (shared-device flags), the device's scan id, and for a
 * link self-enrolment the course's enrolments and new accounts. Check-ins in one group that share
 * none of these run at the same time on PostgreSQL (CommitGroupOptions.concurrent); the others one
 * after another, each seeing the writes of those before it.
 */
function checkinKeys(c: CheckinCommand): string[] {
  const student = 'admit' in c.student ? (c.student.id ?? `number:${c.student.studentNumber ?? ''}`) : c.student.id;
  const keys = [`student:${c.session.id}:${student}`];
  if (c.browserId) keys.push(`browser:${c.session.id}:${c.browserId}`);
  if (c.scan) keys.push(`scan:${c.scan.deviceId}:${c.scan.scanId}`);
  if (c.enroll) keys.push(`enrol:${c.session.courseId}`);
  return keys;
}

/**
 * Runs `work` in one transaction with a record writer: the service's own rows (through `w.trx`)
 * and every command it applies commit together; then the changes are published. Returns what
 * `work` returned.
 */
export async function withRecordWriter<T>(app: FastifyInstance, work: (w: RecordWriter) => Promise<T>, options: GroupOptions = {}): Promise<T> {
  const subscribers = await app.webhooks.current();
  const { value, changes } = await runTransaction(app, options, async (trx) => {
    const writer = new RecordWriter(trx, app.dialect, subscribers);
    const value = await work(writer);
    return { value, changes: writer.changes };
  });
  publishChanges(app, changes);
  return value;
}

/**
 * Applies one command in its own transaction and publishes its changes after the commit. On SQLite
 * a self check-in goes to the check-in writer thread (writer-thread.ts) when it runs.
 */
export async function writeRecords(app: FastifyInstance, command: RecordCommand): Promise<CommandResult> {
  if (command.type !== 'checkin') return withRecordWriter(app, (w) => w.apply(command));
  const writer = app.checkinWriter;
  const onThread = writer?.running ? writer.run(command, await app.webhooks.current()) : undefined;
  if (!onThread) return withRecordWriter(app, (w) => w.apply(command), { grouped: true, concurrentKeys: checkinKeys(command) });
  const result = await onThread;
  publishChanges(app, result.changes);
  return result;
}

/**
 * After the commit: each change to the session's staff (CHECKIN / RECORD_UPDATED / RECORD_DELETED;
 * a node with sockets on the topic follows with a coalesced SUMMARY, see SummaryPublisher), to the student (MY_ATTENDANCE on `user:<id>`), and to in-process
 * listeners. The change is durable: a failure here is logged, never thrown.
 */
export function publishChanges(app: FastifyInstance, changes: RecordChange[]): void {
  if (changes.length === 0) return;
  const touched = new Map<string, AttendanceChangedEvent>();
  for (const ch of changes) {
    try {
      const staff = sessionTopic(ch.sessionId);
      if (!ch.bulk) {
        if (ch.kind === 'deleted') {
          publish(app.bus, staff, 'RECORD_DELETED', { sessionId: ch.sessionId, studentId: ch.studentId, recordId: ch.before!.id });
        } else if (ch.checkin) {
          publish(app.bus, staff, 'CHECKIN', { record: ch.record!, student: ch.student });
          app.metrics.checkins.inc({ method: ch.record!.method });
        } else {
          publish(app.bus, staff, 'RECORD_UPDATED', { record: ch.record! });
        }
      }
      publish(app.bus, userTopic(ch.studentId), 'MY_ATTENDANCE', { sessionId: ch.sessionId, record: ch.record });
    } catch (err) {
      app.log.warn({ err, sessionId: ch.sessionId }, 'could not publish a record change');
    }
    const key = `${ch.courseId}:${ch.sessionId}`;
    let e = touched.get(key);
    if (!e) touched.set(key, (e = { courseId: ch.courseId, sessionId: ch.sessionId, studentIds: [], checkinsOnly: true }));
    e.studentIds.push(ch.studentId);
    if (!ch.checkin) e.checkinsOnly = false;
  }
  for (const e of touched.values()) app.attendanceChanged.emit(e, app.log);
}
