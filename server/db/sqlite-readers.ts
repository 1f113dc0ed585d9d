import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CompiledQuery, Kysely } from 'kysely';

/**
 * Read-only SQLite connections in worker threads, for the few reads that walk a course's whole
 * history (the grid, the course report, the overview: 30,000 records at 500 × 60). better-sqlite3
 * runs a statement on the thread that calls it, so on the server's one thread such a read (about
 * 10 ms) held up every check-in and every other request behind it, and four teachers opening
 * reports at once queued behind each other on one core. In a worker the statement runs beside the
 * event loop; the rows come back by message. WAL lets these connections read while the server's own
 * connection writes; each read sees what was committed when it started, like a read on the server's
 * connection outside a transaction.
 *
 * The first reader thread also checkpoints the WAL (`startCheckpoints`): copying the pages the
 * check-ins wrote back into the database file, with its fsyncs, used to run inside whichever commit
 * crossed the WAL's size limit, on the event loop, and held up every request behind it.
 *
 * The worker is plain JavaScript evaluated from a string, so it runs the same from TypeScript
 * sources (tsx, Vitest) and from the build.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('query_only = ON');
const statements = new Map();
parentPort.on('message', ({ id, sql, parameters, checkpoint }) => {
  try {
    if (checkpoint) {
      parentPort.postMessage({ id, rows: db.pragma('wal_checkpoint(PASSIVE)') });
      return;
    }
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size < 100) statements.set(sql, statement);
    }
    parentPort.postMessage({ id, rows: statement.all(parameters) });
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message), code: err && err.code } });
  }
});
`;

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Reader {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** Reader threads on a 2-core machine: 1 (the event loop keeps a core); more with more cores, at most 4. */
export function defaultReaderCount(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

function sqliteError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What a PASSIVE checkpoint reports: WAL frames in all (`log`) and copied back (`checkpointed`). */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export class SqliteReaders {
  private readers: (Reader | null)[];
  private next = 0;
  private seq = 0;
  private closed = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private readonly driver = createRequire(import.meta.url).resolve('better-sqlite3');

  constructor(
    private readonly file: string,
    count: number,
    /** A read still running after this long is interrupted (its thread is replaced): 503 for the caller. */
    private readonly timeoutMs: number,
  ) {
    this.readers = new Array<Reader | null>(Math.max(1, count)).fill(null);
  }

  /** Runs a read-only query on the least busy reader thread. */
  all<R>(query: CompiledQuery<R>): Promise<R[]> {
    return this.send<R>(this.pick(), { sql: query.sql, parameters: query.parameters });
  }

  /**
   * A PASSIVE checkpoint on the first reader thread: copies what it can of the WAL into the
   * database file without waiting for (or holding up) the server's writes or other reads.
   */
  async checkpoint(): Promise<CheckpointResult> {
    this.readers[0] ??= this.start(0);
    const [result] = await this.send<CheckpointResult>(this.readers[0], { checkpoint: true });
    return result;
  }

  /**
   * Every `intervalMs`, checkpoints when `due()` says so (the server's connection then does not
   * checkpoint in its commits: kysely.ts). A checkpoint still running is not started twice.
   */
  startCheckpoints(intervalMs: number, due: () => boolean, log: (err: Error) => void): void {
    let running = false;
    this.checkpointTimer = setInterval(() => {
      if (running || this.closed || !due()) return;
      running = true;
      this.checkpoint()
        .catch(log)
        .finally(() => (running = false));
    }, intervalMs);
    this.checkpointTimer.unref();
  }

  private send<R>(reader: Reader, message: { sql?: string; parameters?: readonly unknown[]; checkpoint?: boolean }): Promise<R[]> {
    if (this.closed) return Promise.reject(sqliteError('The database is closed', 'SQLITE_MISUSE'));
    const id = ++this.seq;
    return new Promise<R[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        reader.pending.delete(id);
        reject(sqliteError(`A ${message.checkpoint ? 'WAL checkpoint' : 'report read'} took longer than ${this.timeoutMs} ms and was interrupted`, 'SQLITE_INTERRUPT'));
        this.replace(reader, 'interrupted');
      }, this.timeoutMs);
      reader.pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject, timer });
      reader.worker.postMessage({ id, ...message });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    const readers = this.readers.filter((r): r is Reader => r !== null);
    this.readers.fill(null);
    for (const r of readers) this.failAll(r, 'closed');
    await Promise.all(readers.map((r) => r.worker.terminate()));
  }

  /** The reader with the fewest reads in flight (all started on first use). */
  private pick(): Reader {
    for (let i = 0; i < this.readers.length; i++) this.readers[i] ??= this.start(i);
    let best = this.next;
    for (let k = 0; k < this.readers.length; k++) {
      const i = (this.next + k) % this.readers.length;
      if (this.readers[i]!.pending.size < this.readers[best]!.pending.size) best = i;
    }
    this.next = (best + 1) % this.readers.length;
    return this.readers[best]!;
  }

  private start(slot: number): Reader {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, driver: this.driver } });
    // Idle readers never keep the process alive.
    worker.unref();
    const reader: Reader = { worker, pending: new Map() };
    worker.on('message', (m: { id: number; rows?: unknown[]; error?: { message: string; code?: string } }) => {
      const p = reader.pending.get(m.id);
      if (!p) return;
      reader.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(sqliteError(m.error.message, m.error.code ?? 'SQLITE_ERROR'));
      else p.resolve(m.rows ?? []);
    });
    const gone = (why: string) => {
      if (this.readers[slot] === reader) this.readers[slot] = null;
      this.failAll(reader, why);
    };
    worker.on('error', (err) => gone(err.message));
    worker.on('exit', () => gone('its thread stopped'));
    return reader;
  }

  private replace(reader: Reader, why: string): void {
    const slot = this.readers.indexOf(reader);
    if (slot >= 0) this.readers[slot] = null;
    this.failAll(reader, why);
    void reader.worker.terminate();
  }

  private failAll(reader: Reader, why: string): void {
    for (const p of reader.pending.values()) {
      clearTimeout(p.timer);
      p.reject(sqliteError(`The report read failed: ${why}`, 'SQLITE_INTERRUPT'));
    }
    reader.pending.clear();
  }
}

const readersOf = new WeakMap<object, SqliteReaders>();

export function registerReaders(db: Kysely<any>, readers: SqliteReaders): void {
  readersOf.set(db, readers);
}

/**
 * Runs a read that walks much of the database on a reader thread when the database has them (SQLite
 * on a file), else as usual. Inside a transaction it always runs on the transaction.
 */
export function readHeavy<R>(db: Kysely<any>, query: { compile(): CompiledQuery<R>; execute(): Promise<R[]> }): Promise<R[]> {
  const readers = db.isTransaction ? undefined : readersOf.get(db);
  return readers ? readers.all(query.compile()) : query.execute();
}
