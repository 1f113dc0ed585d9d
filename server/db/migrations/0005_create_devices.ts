import type { Kysely } from 'kysely';

// Frozen. Scanning devices (seed 002) and the log of their scans; a device's scan_id is unique, so a
// replayed or concurrently retried scan can never be counted twice.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('location', 'text')
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('device_scans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('scan_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.references('sessions.id').onDelete('set null'))
    .addColumn('record_id', 'text', (c) => c.references('attendance_records.id').onDelete('set null'))
    .addColumn('student_number', 'text', (c) => c.notNull())
    .addColumn('scanned_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('device_scans_device_scan_unique', ['device_id', 'scan_id'])
    .execute();
  await db.schema.createIndex('device_scans_record_idx').on('device_scans').column('record_id').execute();
  await db.schema.createIndex('device_scans_session_idx').on('device_scans').columns(['session_id', 'scanned_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('device_scans').execute();
  await db.schema.dropTable('devices').execute();
}
