// TEMPORARY local shim (never committed) until the lead's writer lands.
import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
export class RecordWriter { constructor(readonly trx: Transaction<Database>) {} async apply(_c: unknown) { return null; } }
export async function withRecordWriter<T>(app: FastifyInstance, work: (w: RecordWriter) => Promise<T>): Promise<T> {
  return app.db.transaction().execute((trx) => work(new RecordWriter(trx)));
}
