import { parentPort, workerData } from 'node:worker_threads';
import { Kysely } from 'kysely';
import { commitGroupOf } from '../../db/commit-group.js';
import type { Database } from '../../db/database.js';
import { enableSqliteFastPath } from '../../db/hot-query.js';
import { openSqliteConnection } from '../../db/kysely.js';
import { SqliteWriteLock, threadSide } from '../../db/sqlite-write-lock.js';
import { carryError } from './carried-error.js';
import { claimDueDeliveries, recordOutcomes } from '../webhooks/webhooks.repository.js';
import { RecordWriter } from './record-writer.js';
import type { WriterReplies, WriterRequest, WriterThreadData } from './writer-thread.js';

/**
 * The check-in writer thread (see writer-thread.ts): its own connection to the database file, the
 * SQLite group commit, and for each request the record writer's check-in command (or a webhook
 * delivery claim, or their outcomes).
 */
const data = workerData as WriterThreadData;
const port = parentPort!;
const { sqlite, database, count, dialectOf } = openSqliteConnection(data.file, threadSide(new SqliteWriteLock(data.lock)));
sqlite.pragma(`wal_autocheckpoint = ${data.walAutocheckpoint}`);
const db = new Kysely<Database>({ dialect: dialectOf(database) });
enableSqliteFastPath(db, database);
const group = commitGroupOf(db, 'sqlite');
let counted = 0;
let replies: WriterReplies['replies'] = [];

/** Sends what settled since the last message, once the settling units' continuations have run. */
function reply(r: WriterReplies['replies'][number]): void {
  if (replies.length === 0) process.nextTick(flush);
  replies.push(r);
}

function flush(): void {
  const statements = count.n - counted;
  counted = count.n;
  data.replies.postMessage({ replies, statements, committed: { ...group.committed } } satisfies WriterReplies);
  replies = [];
}

function perform(m: WriterRequest): Promise<unknown> {
  switch (m.op) {
    case 'checkin': {
      const subscribers = { forType: (type: string) => m.subscribers[type] ?? [] };
      return group.run((trx) => new RecordWriter(trx, 'sqlite', subscribers).apply(m.command));
    }
    case 'claim':
      return claimDueDeliveries(db, m.claim);
    case 'outcomes':
      return recordOutcomes(db, m.outcomes);
  }
}

port.on('message', (batch: WriterRequest[]) => {
  for (const m of batch) {
    perform(m).then(
      (result) => reply({ id: m.id, result }),
      (err: unknown) => reply({ id: m.id, error: carryError(err) }),
    );
  }
});
