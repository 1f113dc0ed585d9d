import type { FastifyInstance } from 'fastify';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { ScanInput } from '../../../common/device.schemas.js';
import { AppError, conflict, validationFailed } from '../../errors.js';
import { newId, nowIso } from '../../lib/ids.js';
import { addDays, localDateOf, localToUtc } from '../../lib/timezone.js';
import { toRecord } from '../attendance/records.service.js';
import { noActiveSession } from '../attendance/roll-call.service.js';
import { recordCheckin } from '../checkin/checkin.service.js';
import { boundSessions } from './devices.service.js';
import { findScan, insertScanIfAbsent, type DeviceRow } from './devices.repository.js';
import type { RecordRow } from '../attendance/records.repository.js';

/** How far a device's clock may be off (ahead of the server, or before the session opened) and still count. */
export const SCAN_CLOCK_TOLERANCE_MS = 5 * 60_000;

type MaybeRecord = { [K in keyof RecordRow]: RecordRow[K] | null };
const isRecordRow = (row: MaybeRecord): row is RecordRow => row.id !== null;

export interface ScanResult {
  record: AttendanceRecord;
  /** The student was already recorded, or this scan_id was delivered before. */
  duplicate: boolean;
}

/**
 * When the device saw the student: `date` + `time` read in the institution's time zone, or now. A
 * time without a date is today's; if that lands in the future it was yesterday's (a scan taken just
 * before midnight and delivered just after).
 */
export function scanInstant(input: Pick<ScanInput, 'date' | 'time'>, timeZone: string, now = Date.now()): number {
  if (!input.time) return now;
  const [hh, mm, ss = '0'] = input.time.split(':');
  const at = (date: string) => localToUtc(date, `${hh}:${mm}`, timeZone).getTime() + Number(ss) * 1000;
  if (input.date) return at(input.date);
  const today = localDateOf(new Date(now), timeZone);
  const t = at(today);
  if (t <= now + SCAN_CLOCK_TOLERANCE_MS) return t;
  return at(addDays(today, -1));
}

/**
 * A device scan (seed 002, POST /api/attendance/scan). The scan goes to the open session bound to the
 * device (if several are, the one whose course the student takes) through the same check-in path as
 * every other method: one record per session × student, decided by the database's unique key, so
 * a second scan of the student is a duplicate. A `scan_id` is logged with the device's id under a
 * unique key: replaying it, even ten times at once, answers with the same record and counts once.
 */
export async function recordScan(app: FastifyInstance, device: DeviceRow, input: ScanInput, now = Date.now()): Promise<ScanResult> {
  const studentNumber = String(input.student_id);
  if (input.scan_id) {
    const known = await findScan(app.db, device.id, input.scan_id);
    if (known) {
      const { scan_row_id: _, ...row } = known;
      if (isRecordRow(row)) return { record: toRecord(row), duplicate: true };
      // A replay must not bring back a record an admin deleted after this scan was delivered.
      throw conflict('This scan was delivered before and the record it made has since been deleted; it is not counted again.');
    }
  }
  let at = scanInstant(input, app.config.TIMEZONE, now);
  if (at > now + SCAN_CLOCK_TOLERANCE_MS) {
    throw validationFailed(`The scan time ${new Date(at).toISOString()} is in the future: check the device's clock and time zone (${app.config.TIMEZONE}).`, [
      { path: 'time', message: 'in the future' },
    ]);
  }
  at = Math.min(at, now);

  const sessions = await boundSessions(app, device.id);
  if (sessions.length === 0) throw noActiveSession('No open session is bound to this device: the teacher opens the session with this device selected.');
  const student = await app.db
    .selectFrom('users')
    .select(['id', 'name', 'student_number'])
    .where('student_number', '=', studentNumber)
    .where('role', '=', 'student')
    .where('active', '=', 1)
    .executeTakeFirst();
  if (!student) throw new AppError(404, 'unknown_student', 'Unknown student number', `No student has the number ${studentNumber}.`);
  const enrolled = new Set(
    (
      await app.db
        .selectFrom('enrollments')
        .select('course_id')
        .where('student_id', '=', student.id)
        .where(
          'course_id',
          'in',
          sessions.map((s) => s.courseId),
        )
        .execute()
    ).map((e) => e.course_id),
  );
  const session = sessions.find((s) => enrolled.has(s.courseId));
  if (!session) throw new AppError(403, 'not_enrolled', 'Not enrolled', `Student ${studentNumber} is not enrolled in the course of the session this device scans for.`);
  if (at < Date.parse(session.openedAt) - SCAN_CLOCK_TOLERANCE_MS) {
    throw noActiveSession(
      `The scan was taken at ${new Date(at).toISOString()}, before the session opened (${session.openedAt}); check the device's clock, or drop scans left from an earlier class.`,
    );
  }

  let result;
  try {
    // Device scans are trusted like the teacher's roll call: no approval step.
    result = await recordCheckin(
      app,
      { ...session, policy: { ...session.policy, requireApproval: false } },
      { id: student.id, name: student.name, studentNumber: student.student_number },
      'device',
      [],
      null,
      null,
      at,
      `scanned by device "${device.name}" (${device.id})`,
    );
  } catch (err) {
    if (err instanceof AppError && err.code === 'session_not_open') throw noActiveSession('The session bound to this device was closed meanwhile.');
    throw err;
  }
  await insertScanIfAbsent(app.db, {
    id: newId(),
    device_id: device.id,
    scan_id: input.scan_id ?? `server:${newId()}`,
    session_id: session.id,
    record_id: result.record.id,
    student_number: studentNumber,
    scanned_at: new Date(at).toISOString(),
    created_at: nowIso(),
  });
  return { record: result.record, duplicate: result.alreadyCheckedIn };
}
