import type { Kysely, Selectable } from 'kysely';
import type { Database, DevicesTable, DeviceScansTable } from '../../db/database.js';
import { hotQuery } from '../../db/hot-query.js';

type Db = Kysely<Database>;
export type DeviceRow = Selectable<DevicesTable>;
export type DeviceScanRow = Selectable<DeviceScansTable>;

export async function insertDevice(db: Db, row: DeviceRow): Promise<void> {
  await db.insertInto('devices').values(row).execute();
}

export function findDeviceById(db: Db, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
}

const deviceByKeyHashQuery = hotQuery((db: Db, keyHash: string) => db.selectFrom('devices').selectAll().where('key_hash', '=', keyHash));

/** The device of a key hash (every scan: a hotQuery). */
export async function findDeviceByKeyHash(db: Db, keyHash: string): Promise<DeviceRow | undefined> {
  return (await deviceByKeyHashQuery(db, keyHash)).rows[0];
}

/** Devices by id (time-ordered), after the keyset cursor; one more than `limit` tells there is a next page. */
export function listDevices(db: Db, f: { afterId?: string; limit: number; includeRevoked: boolean }): Promise<DeviceRow[]> {
  let q = db.selectFrom('devices').selectAll();
  if (f.afterId) q = q.where('id', '>', f.afterId);
  if (!f.includeRevoked) q = q.where('revoked_at', 'is', null);
  return q.orderBy('id').limit(f.limit + 1).execute();
}

/** Revokes the key; undefined when the device does not exist or was already revoked. */
export function revokeDeviceRow(db: Db, id: string, at: string): Promise<DeviceRow | undefined> {
  return db.updateTable('devices').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst();
}

/** Marks the device as seen now, unless it was seen after `staleBefore` (a burst of scans writes once) or is revoked. */
export async function touchDevice(db: Db, id: string, now: string, staleBefore: string): Promise<void> {
  await db
    .updateTable('devices')
    .set({ last_seen_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', staleBefore)]))
    .execute();
}

/** An already delivered scan and the record it led to (null if that record was deleted since). */
export function findScan(db: Db, deviceId: string, scanId: string) {
  return db
    .selectFrom('device_scans')
    .leftJoin('attendance_records', 'attendance_records.id', 'device_scans.record_id')
    .select('device_scans.id as scan_row_id')
    .selectAll('attendance_records')
    .where('device_scans.device_id', '=', deviceId)
    .where('device_scans.scan_id', '=', scanId)
    .executeTakeFirst();
}

const insertScanQuery = hotQuery((db: Db, row: DeviceScanRow) =>
  db
    .insertInto('device_scans')
    .values({
      id: row.id,
      device_id: row.device_id,
      scan_id: row.scan_id,
      session_id: row.session_id,
      record_id: row.record_id,
      student_number: row.student_number,
      scanned_at: row.scanned_at,
      created_at: row.created_at,
    })
    .onConflict((oc) => oc.columns(['device_id', 'scan_id']).doNothing()),
);

/** Logs a delivered scan; the (device_id, scan_id) key absorbs a replay. True when this call inserted it. (Scan path: a hotQuery.) */
export async function insertScanIfAbsent(db: Db, row: DeviceScanRow): Promise<boolean> {
  const r = await insertScanQuery(db, row);
  return Number(r.numAffectedRows ?? 0n) === 1;
}

const deviceActiveQuery = hotQuery((db: Db, id: string) => db.selectFrom('devices').select('id').where('id', '=', id).where('revoked_at', 'is', null));

/** Whether the device exists and is not revoked (SQLite: a scan's transaction checks it; a hotQuery). */
export async function deviceActive(db: Db, id: string): Promise<boolean> {
  return (await deviceActiveQuery(db, id)).rows.length === 1;
}

const activeStudentQuery = hotQuery((db: Db, studentNumber: string) =>
  db.selectFrom('users').select(['id', 'name', 'student_number']).where('student_number', '=', studentNumber).where('role', '=', 'student').where('active', '=', 1),
);

/** An active student by student number (what a device posts; every scan: a hotQuery). */
export async function activeStudentByNumber(db: Db, studentNumber: string) {
  return (await activeStudentQuery(db, studentNumber)).rows[0];
}

const enrolledInQuery = hotQuery((db: Db, studentId: string, courseId: string) =>
  db.selectFrom('enrollments').select('course_id').where('student_id', '=', studentId).where('course_id', '=', courseId),
);

/** Which of the courses the student is enrolled in (one course, a device's usual case: a hotQuery). */
export async function enrolledCourses(db: Db, studentId: string, courseIds: string[]): Promise<Set<string>> {
  if (courseIds.length === 0) return new Set();
  const rows =
    courseIds.length === 1
      ? (await enrolledInQuery(db, studentId, courseIds[0])).rows
      : await db.selectFrom('enrollments').select('course_id').where('student_id', '=', studentId).where('course_id', 'in', courseIds).execute();
  return new Set(rows.map((r) => r.course_id));
}
