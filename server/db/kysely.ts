import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type SqliteDatabase } from 'kysely';
import { ImmediateSqliteDialect } from './sqlite-dialect.js';
import { loopSide, SqliteWriteLock, type WriteLockSide } from './sqlite-write-lock.js';
import { defaultReaderCount, registerReaders, SqliteReaders } from './sqlite-readers.js';
import { enableSqliteFastPath, preparedStatementName } from './hot-query.js';
import pg from 'pg';
import type { Database } from './database.js';
import { migrationProvider } from './migrations.js';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface DbHandle {
  db: Db;
  dialect: Dialect;
}

// PostgreSQL returns bigint (COUNT) as strings; counts here are always small enough for a number.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Deadlines on every PostgreSQL call (DESIGN.md "Failure and abuse"); see docs/operations.md. */
export interface DbTimeouts {
  /** Opening a connection, and waiting for a free one in the pool. */
  connectMs: number;
  /** The server cancels a statement after this; the client gives up a little later (black hole). */
  statementMs: number;
  /** The server ends a session that sits in an open transaction this long (a stuck holder of locks). */
  idleInTransactionMs: number;
}

export const DEFAULT_DB_TIMEOUTS: DbTimeouts = { connectMs: 3000, statementMs: 4000, idleInTransactionMs: 10_000 };

/** PostgreSQL connections per process when DB_POOL_SIZE is not set (docs/operations.md). */
export const DEFAULT_POOL_SIZE = 10;

const statementCounts = new WeakMap<object, { n: number }>();

/**
 * Statements this database handle has sent since it was opened: on PostgreSQL each is a round trip
 * to the server (a multi-statement text counts once), on SQLite a statement prepared or taken from
 * the statement cache for a run. For tests and the bench; nothing depends on it.
 */
export function statementsSent(db: Kysely<any>): number {
  return statementCounts.get(db)?.n ?? 0;
}

/** How often the SQLite checkpointer looks whether a checkpoint is due (see openDatabase). */
const SQLITE_CHECKPOINT_INTERVAL_MS = 1000;
/** Statements (about eight per check-in) after which the WAL is checkpointed: roughly the old ~40 MB. */
const CHECKPOINT_AFTER_STATEMENTS = 20_000;
/** A checkpoint at least this often while anything at all was written. */
const CHECKPOINT_AFTER_MS = 30_000;

/**
 * One SQLite connection as Rollbook uses it: WAL, foreign keys, the statement cache (counting into
 * `count`) and BEGIN IMMEDIATE transactions, taking `lock` (sqlite-write-lock.ts) when another
 * connection of this process writes too. The server's connection (openDatabase) and the check-in
 * writer thread's (modules/attendance/writer-thread.worker.ts) are both opened here.
 */
export function openSqliteConnection(file: string, lock?: WriteLockSide) {
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  // A savepoint's journal (the commit group gives every unit of a group one) in memory: SQLite
  // otherwise spills it to a temporary file past 64 KiB, and writing each page a check-in touches
  // there took about a sixth of the server's CPU in `npm run bench` (SQLite's time per check-in
  // 128 → 50 µs with it; docs/performance-history.md). Temporary tables and sorts stay in memory too.
  sqlite.pragma('temp_store = MEMORY');
  const count = { n: 0 };
  const database = withStatementCache(sqlite, count);
  return { sqlite, database, count, dialectOf: (db: SqliteDatabase) => new ImmediateSqliteDialect({ database: db }, lock) };
}

/** What the check-in writer thread needs of a SQLite database the server opened (a file, not `:memory:`). */
export interface SqliteWriterSetup {
  /** The database file, absolute. */
  file: string;
  lock: SqliteWriteLock;
  statementMs: number;
  /** The server connection's `wal_autocheckpoint`, for the thread's connection too. */
  walAutocheckpoint: number;
  /** A writer thread runs for this database (one at a time: the lock has one thread side). */
  inUse: boolean;
  /** Counts the thread's statements into the server's (statementsSent, the checkpointer's pace). */
  wrote(statements: number): void;
}

const writerSetups = new WeakMap<object, SqliteWriterSetup>();

/** The setup for a check-in writer thread beside this database; undefined for PostgreSQL and `:memory:`. */
export function sqliteWriterSetup(db: Kysely<any>): SqliteWriterSetup | undefined {
  return writerSetups.get(db);
}

/** Opens the database named by DATABASE_URL: `sqlite:<file>` or `postgres://…`. */
export function openDatabase(
  url: string,
  options: {
    poolSize?: number;
    timeouts?: DbTimeouts;
    /** Problems outside any request: a lost PostgreSQL connection, a failed SQLite WAL checkpoint. */
    log?: (err: Error) => void;
    /** SQLite with reader threads: when the checkpointer checkpoints (tests shorten it). */
    checkpointAfter?: { statements: number; ms: number };
    /** SQLite: reader threads for whole-course reports (sqlite-readers.ts); 0 for none. */
    sqliteReaders?: number;
  } = {},
): DbHandle {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '') || './data/rollbook.db';
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const lock = file === ':memory:' ? null : new SqliteWriteLock();
    const statementMs = (options.timeouts ?? DEFAULT_DB_TIMEOUTS).statementMs;
    const { sqlite, database, count, dialectOf } = openSqliteConnection(file, lock ? loopSide(lock, statementMs) : undefined);
    const readerCount = file === ':memory:' ? 0 : (options.sqliteReaders ?? defaultReaderCount());
    const readers = readerCount > 0 ? new SqliteReaders(path.resolve(file), readerCount, statementMs) : null;
    // Checkpoint the WAL back into the database every ~40 MB instead of every ~4 MB: pages that many
    // check-ins touch (index leaves) are written back once instead of again and again, which took
    // about a tenth of a check-in's server time in `npm run bench` (docs/performance-history.md). With reader
    // threads a reader checkpoints instead, beside the event loop (a commit that checkpointed held up
    // every request behind it: check-in p99 about twice as long), after about as much writing
    // (CHECKPOINT_AFTER_STATEMENTS) or, when only a little was written, after half a minute. The
    // server's own limit stays, at ~400 MB, only for a checkpointer that could not keep up.
    const walAutocheckpoint = readers ? 100_000 : 10_000;
    sqlite.pragma(`wal_autocheckpoint = ${walAutocheckpoint}`);
    if (readers) {
      const after = options.checkpointAfter ?? { statements: CHECKPOINT_AFTER_STATEMENTS, ms: CHECKPOINT_AFTER_MS };
      let last = { n: count.n, at: Date.now() };
      const due = () => {
        const written = count.n - last.n;
        if (written < after.statements && !(written > 0 && Date.now() - last.at >= after.ms)) return false;
        last = { n: count.n, at: Date.now() };
        return true;
      };
      readers.startCheckpoints(SQLITE_CHECKPOINT_INTERVAL_MS, due, (err) =>
        options.log?.(Object.assign(new Error(`The WAL checkpoint on a reader thread failed (tried again after more writes): ${err.message}`), { cause: err })),
      );
      const close = database.close;
      database.close = () => {
        void readers.close();
        close();
      };
    }
    const db = new Kysely<Database>({ dialect: dialectOf(database) });
    enableSqliteFastPath(db, database);
    statementCounts.set(db, count);
    if (readers) registerReaders(db, readers);
    if (lock) writerSetups.set(db, { file: path.resolve(file), lock, statementMs, walAutocheckpoint, inUse: false, wrote: (n) => (count.n += n) });
    return { db, dialect: 'sqlite' };
  }
  const t = options.timeouts ?? DEFAULT_DB_TIMEOUTS;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: t.connectMs,
    statement_timeout: t.statementMs,
    idle_in_transaction_session_timeout: t.idleInTransactionMs,
    // A black-holed server never answers, so its own statement_timeout never fires: the client gives up.
    query_timeout: t.statementMs + 500,
    keepAlive: true,
  });
  const log = options.log ?? (() => {});
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', log);
  // Neither may a client that is checked out when its connection dies (terminated, reset): pg emits
  // 'error' on the client itself, and the pool listens only while it is idle. The query in flight
  // fails on its own and the request gets 503.
  const count = { n: 0 };
  pool.on('connect', (client) => {
    client.on('error', log);
    usePreparedStatements(client, count);
  });
  // A client goes back to the pool with nothing waiting to be sent (see usePreparedStatements).
  pool.on('release', (_err: unknown, client: pg.PoolClient) => {
    setPipelineMode(client, false);
    const state = pipelines.get(client);
    if (state) {
      state.pending = [];
      state.failed = false;
      state.commitNext = false;
      state.committed = false;
    }
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  statementCounts.set(db, count);
  return { db, dialect: 'postgres' };
}

/**
 * A transaction-control statement sent with this prefix waits on its connection and goes with the
 * connection's next statement, in the same write (one round trip for both): see usePreparedStatements.
 * For statements that cannot fail on their own in a healthy transaction (`savepoint x`, `release
 * savepoint x`); whoever defers them checks `PIPELINE_STATUS` after an error (server/db/commit-group.ts).
 */
export const WITH_NEXT = '/* rb:with-next */ ';

/**
 * Answered on the connection without a round trip: one row `{ failed }`, true when a statement that
 * went ahead of another (`begin`, a WITH_NEXT statement) failed since the last ask, so the statement
 * it went with did not run either. Asking clears it.
 */
export const PIPELINE_STATUS = '/* rb:pipeline-status */';

/**
 * Sent alone, costs no round trip: the connection's next statement is written together with a COMMIT
 * of its transaction (one write, one Sync, one round trip for both). If the statement fails, the
 * COMMIT does not run (PostgreSQL skips to the Sync) and the transaction stays open, failed, for a
 * rollback; if the COMMIT fails, or is answered with ROLLBACK, the statement's query fails. After
 * it succeeded the transaction is over: the `commit` that follows sends nothing, and neither does a
 * `rollback` — so whoever arms it must make that statement the transaction's last, with nothing
 * after it that could still want to undo it (server/db/commit-group.ts, commitWithNextStatement).
 */
export const COMMIT_WITH_NEXT = '/* rb:commit-with-next */';

/**
 * Sent alone, costs no round trip: from now on the connection writes each statement as soon as it
 * is asked for, without waiting for the answers to those before it (node-postgres' pipeline mode),
 * and the statements asked for in one turn of the event loop go out in one write. Each keeps its own
 * Sync: one that fails does not skip the others' messages (in a transaction, PostgreSQL then refuses
 * them as the failed transaction's). PIPELINE_OFF ends it once everything sent was answered. For
 * statements of several callers at once on one transaction (server/db/commit-group.ts, the
 * concurrent pass); never with a cursor, which node-postgres refuses in pipeline mode.
 */
export const PIPELINE_ON = '/* rb:pipeline-on */';
/** Ends PIPELINE_ON: at once when nothing is in flight, else when the last answer is in. */
export const PIPELINE_OFF = '/* rb:pipeline-off */';

interface PipelineState {
  /** PIPELINE_ON: the connection's socket is corked until the end of this turn of the event loop. */
  corked: boolean;
  /** Statements waiting to go ahead of the next one. */
  pending: string[];
  /** One of them failed (see PIPELINE_STATUS). */
  failed: boolean;
  /** COMMIT_WITH_NEXT was sent: the next statement takes the COMMIT with it. */
  commitNext: boolean;
  /** The transaction was committed with its last statement: its own `commit` (or `rollback`) sends nothing. */
  committed: boolean;
}

const pipelines = new WeakMap<object, PipelineState>();

type QueryFn = (...args: unknown[]) => Promise<pg.QueryResult> | unknown;

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format: string;
}

/** What node-postgres builds from a statement's row description, kept per prepared statement. */
interface RowShape {
  fields: FieldDescription[];
  parsers: ((value: string) => unknown)[];
  parseRow: (this: { _parsers: RowShape['parsers'] }, values: (string | null)[]) => Record<string, unknown>;
}

const rowShapes = new Map<string, RowShape>();

function sameFields(a: FieldDescription[], b: FieldDescription[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name || a[i].dataTypeID !== b[i].dataTypeID || a[i].format !== b[i].format) return false;
  }
  return true;
}

/**
 * The row maker of a row description: one object literal with every column (a later column of the
 * same name wins, as in node-postgres; computed keys, so any name is an own property). Generated
 * once per statement because node-postgres builds its rows from a dictionary-mode template, which for
 * the check-in's 30-column read cost about 8 µs per result against 0.1 µs for this.
 */
function rowShapeOf(fields: FieldDescription[], types: { getTypeParser: (oid: number, format: string) => unknown }): RowShape {
  const body = fields.map((f, i) => `[${JSON.stringify(f.name)}]: v[${i}] === null ? null : p[${i}](v[${i}])`).join(',\n');
  const make = new Function('v', 'p', `return {\n${body}\n};`) as (v: (string | null)[], p: RowShape['parsers']) => Record<string, unknown>;
  return {
    fields,
    parsers: fields.map((f) => types.getTypeParser(f.dataTypeID, 'text') as (value: string) => unknown),
    parseRow(values) {
      return make(values, this._parsers);
    },
  };
}

/**
 * A named prepared statement (hot-query.ts). Its result's shape is the same on every execution (a
 * prepared statement whose result type changed fails in PostgreSQL), so what node-postgres rebuilds
 * from the row description for each result — the column parsers and the row template — is built once
 * per statement and reused while the description matches. Text-format columns only (node-postgres'
 * default) and rows as objects; anything else takes node-postgres' own path. The parsers are the
 * client's (its type overrides, else pg.types): every client of the pool is configured alike.
 */
class NamedQuery extends pg.Query {
  /**
   * node-postgres copies a config object with all its property descriptors (`cloneQueryConfig`:
   * about 7 µs a query in a profile of the check-in); given the text and values as they are, it
   * copies nothing, and the name and protocol are set after.
   */
  constructor(config: { text: string; values: unknown[]; name?: string; queryMode?: 'extended' }, callback: (err: Error | undefined, result: any) => void) {
    super(config.text, config.values as any[], callback);
    const self = this as any;
    if (config.name) self.name = config.name;
    if (config.queryMode) self.queryMode = config.queryMode;
  }

  /**
   * A statement this connection has parsed, whose row description is known, is bound and executed
   * without a Describe: PostgreSQL does not build the description again (30 columns for the
   * check-in's read) and node-postgres does not parse it again; the rows are made from the shape
   * kept for the statement. Any other statement is described as node-postgres does.
   */
  prepare(connection: any): void {
    const self = this as any;
    const name: string | undefined = self.name;
    const shape = name && !self._result.rowAsArray && !self.binary && connection.parsedStatements[name] !== undefined ? rowShapes.get(name) : undefined;
    if (!shape) {
      (pg.Query.prototype as any).prepare.call(this, connection);
      return;
    }
    this.useShape(shape, shape.fields);
    // node-postgres' own Parse/Bind/Execute/Sync, with its Describe left out for this one statement.
    const own = Object.prototype.hasOwnProperty.call(connection, 'describe');
    const describe = connection.describe;
    connection.describe = noDescribe;
    try {
      (pg.Query.prototype as any).prepare.call(this, connection);
    } finally {
      if (own) connection.describe = describe;
      else delete connection.describe;
    }
  }

  handleRowDescription(msg: { fields: FieldDescription[] }): void {
    const self = this as any;
    const name: string | undefined = self.name;
    let shape = name && !self._result.rowAsArray ? rowShapes.get(name) : undefined;
    // A description seen before is all text (a shape is made of nothing else): compared, not checked again.
    if (shape && !sameFields(shape.fields, msg.fields)) shape = undefined;
    if (!shape && name && !self._result.rowAsArray && msg.fields.every((f) => f.format === 'text')) {
      rowShapes.set(name, (shape = rowShapeOf(msg.fields, self._result._types ?? pg.types)));
    }
    if (!shape) {
      (pg.Query.prototype as any).handleRowDescription.call(this, msg);
      return;
    }
    this.useShape(shape, msg.fields);
  }

  /** What node-postgres' handleRowDescription sets up, from the statement's kept shape. */
  private useShape(shape: RowShape, fields: FieldDescription[]): void {
    const self = this as any;
    self._checkForMultirow();
    const result = self._result;
    result.fields = fields;
    result._parsers = shape.parsers;
    result.parseRow = shape.parseRow;
    self._accumulateRows = self.callback || !this.listeners('row').length;
  }
}

const noDescribe = (): void => {};

/**
 * One write, one Sync: the statements that went ahead (each Parse/Bind/Execute of the unnamed
 * statement, their results dropped), then the query itself (extended protocol; a named prepared
 * statement's Parse goes first of all, so node-postgres records it as parsed only if it parsed).
 * An error anywhere skips the rest up to the Sync; one that came before every statement ahead had
 * completed marks the connection (PIPELINE_STATUS).
 */
class PipelinedQuery extends NamedQuery {
  private completed = 0;
  private done = false;
  /** The COMMIT's command tag (thenCommit): `COMMIT`, or `ROLLBACK` for a transaction that had failed. */
  private commitTag: string | null = null;

  constructor(
    private readonly ahead: string[],
    config: { text: string; values: unknown[]; name?: string; queryMode: 'extended' },
    callback: (err: Error | undefined, result: any) => void,
    private readonly onAheadFailed: () => void,
    /** COMMIT_WITH_NEXT: a COMMIT follows the statement, before the Sync; called when it committed. */
    private readonly thenCommit: (() => void) | null = null,
  ) {
    super(config, callback);
  }

  // node-postgres executes the portal and then sends the Sync here; the COMMIT goes between the two.
  _getRows(connection: any, rows: number | undefined): void {
    if (!this.thenCommit || rows) {
      (pg.Query.prototype as any)._getRows.call(this, connection, rows);
      return;
    }
    connection.execute({ portal: (this as any).portal, rows });
    connection.parse({ text: 'commit', name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [] });
    connection.execute({ portal: '', rows: 0 });
    connection.sync();
  }

  handleReadyForQuery(connection: unknown): void {
    const self = this as any;
    if (this.thenCommit) {
      // The connection's state follows the server's, even if a row of the statement's answer could not be read.
      if (this.commitTag === 'COMMIT') this.thenCommit();
      else self._canceledDueToError ||= new Error(`COMMIT was answered with ${this.commitTag ?? 'nothing'}: the transaction had failed; nothing of it was kept`);
    }
    (pg.Query.prototype as any).handleReadyForQuery.call(this, connection);
  }

  // node-postgres' own hooks (not in its type declarations).
  prepare(connection: any): void {
    const self = this as any;
    if (self.name && !self.hasBeenParsed(connection)) {
      connection.parse({ text: self.text, name: self.name, types: self.types });
      connection.submittedNamedStatements[self.name] = self.text;
    }
    for (const text of this.ahead) {
      connection.parse({ text, name: '', types: [] });
      connection.bind({ portal: '', statement: '', values: [] });
      connection.execute({ portal: '', rows: 0 });
    }
    super.prepare(connection);
  }

  handleCommandComplete(msg: { text?: string }, connection: unknown): void {
    if (this.completed < this.ahead.length) {
      this.completed++;
      return;
    }
    if (this.done) {
      this.commitTag = msg.text ?? null;
      return;
    }
    this.done = true;
    (pg.Query.prototype as any).handleCommandComplete.call(this, msg, connection);
  }

  handleError(err: Error, connection: unknown): void {
    if (this.completed < this.ahead.length) this.onAheadFailed();
    (pg.Query.prototype as any).handleError.call(this, err, connection);
  }
}

/**
 * Sends the hot queries (hot-query.ts) as named prepared statements: PostgreSQL parses and plans
 * each once per connection instead of on every call (the unnamed statement node-postgres uses
 * otherwise is parsed and planned each time). Same round trips, less work in PostgreSQL. A statement
 * whose Parse failed is parsed again next time (node-postgres keeps only those that parsed).
 *
 * Fewer round trips: node-postgres sends one statement and waits for its answer. A `begin` (every
 * transaction's first statement) and the WITH_NEXT statements instead wait on the connection and
 * are written together with the next statement, which is then sent in the extended protocol with
 * one Sync (PipelinedQuery). A transaction's `begin` therefore costs no round trip of its own, nor
 * do the commit group's savepoints. A `rollback` with the `begin` still waiting sends nothing; a
 * `commit` that PostgreSQL answers with ROLLBACK (the transaction had failed) is an error, never a
 * silent success.
 *
 * A transaction's last statement can take its COMMIT along too (COMMIT_WITH_NEXT): a check-in alone
 * in its transaction is then two round trips, not three.
 *
 * Every round trip is counted (statementsSent); statements that wait are not.
 */
function usePreparedStatements(client: pg.PoolClient, count: { n: number }): void {
  const query = client.query.bind(client) as QueryFn;
  const state: PipelineState = { corked: false, pending: [], failed: false, commitNext: false, committed: false };
  pipelines.set(client, state);
  const send = (text: unknown, values?: unknown, callback?: unknown): unknown => {
    count.n++;
    const name = typeof text === 'string' && Array.isArray(values) ? preparedStatementName(text) : undefined;
    if (!name) return query(text, values, callback);
    return new Promise((resolve, reject) => {
      query(new NamedQuery({ name, text: text as string, values: values as unknown[] }, (err: Error | undefined, res: pg.QueryResult) => (err ? reject(err) : resolve(res))));
    });
  };
  client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
    if (text === PIPELINE_ON || text === PIPELINE_OFF) {
      setPipelineMode(client, text === PIPELINE_ON);
      return Promise.resolve({ command: 'WAITING', rowCount: null, rows: [], fields: [] });
    }
    if ((client as unknown as PgClientInternals).pipeline) corkUntilNextTick(client, state);
    if (text === COMMIT_WITH_NEXT) {
      state.commitNext = true;
      return Promise.resolve({ command: 'WAITING', rowCount: null, rows: [], fields: [] });
    }
    if (state.committed && (text === 'commit' || text === 'rollback')) {
      // Committed with its last statement: the transaction is over, there is nothing to end.
      state.committed = false;
      return Promise.resolve({ command: text === 'commit' ? 'COMMIT' : 'ROLLBACK', rowCount: null, rows: [], fields: [] });
    }
    if (typeof text !== 'string' || typeof values === 'function' || callback !== undefined) {
      // A cursor or a callback: what waits goes first, on its own (node-postgres sends in order); no COMMIT goes with it.
      state.commitNext = false;
      if (state.pending.length > 0) {
        const ahead = state.pending;
        state.pending = [];
        (send(ahead.join('; ')) as Promise<unknown>).catch(() => {
          state.failed = true;
        });
      }
      return send(text, values, callback);
    }
    if (text === PIPELINE_STATUS) {
      const failed = state.failed;
      state.failed = false;
      return Promise.resolve({ command: 'SELECT', rowCount: 1, rows: [{ failed }], fields: [] });
    }
    if (text === 'begin' || text.startsWith(WITH_NEXT)) {
      state.pending.push(text.startsWith(WITH_NEXT) ? text.slice(WITH_NEXT.length) : text);
      return Promise.resolve({ command: 'WAITING', rowCount: null, rows: [], fields: [] });
    }
    // The COMMIT goes with a single statement of the extended protocol only (never with the end of the transaction itself).
    const commitWith = state.commitNext && !text.includes(';') && text !== 'commit' && text !== 'rollback';
    state.commitNext = false;
    let result: Promise<pg.QueryResult>;
    if (state.pending.length === 0 && !commitWith) result = send(text, values) as Promise<pg.QueryResult>;
    else {
      const ahead = state.pending;
      state.pending = [];
      if (text === 'rollback') {
        // The transaction never began on the server: nothing to undo. Otherwise what waited is moot.
        if (ahead.includes('begin')) return Promise.resolve({ command: 'ROLLBACK', rowCount: null, rows: [], fields: [] });
        result = send(text, values) as Promise<pg.QueryResult>;
      } else if (text.includes(';')) {
        // A multi-statement text cannot go in the extended protocol: what waited goes first, alone.
        result = (send(ahead.join('; ')) as Promise<unknown>).then(() => send(text, values) as Promise<pg.QueryResult>);
      } else {
        count.n++;
        const name = Array.isArray(values) ? preparedStatementName(text) : undefined;
        result = new Promise((resolve, reject) => {
          const q = new PipelinedQuery(
            ahead,
            { text, values: Array.isArray(values) ? values : [], queryMode: 'extended', ...(name ? { name } : {}) },
            (err, res) => (err ? reject(err) : resolve(res)),
            () => {
              state.failed = true;
            },
            commitWith
              ? () => {
                  state.committed = true;
                }
              : null,
          );
          query(q);
        });
      }
    }
    if (text === 'commit') {
      return result.then((r) => {
        if (r.command === 'ROLLBACK') throw new Error('COMMIT was answered with ROLLBACK: the transaction had failed; nothing of it was kept');
        return r;
      });
    }
    return result;
  }) as typeof client.query;
}

/** What of node-postgres' client pipeline mode relies on (pg ≥ 8.20; not in its type declarations). */
interface PgClientInternals {
  pipeline: boolean;
  connection?: { stream?: { cork?: () => void; uncork?: () => void } };
  _sentQueryQueue?: unknown[];
  _queryQueue?: unknown[];
  _getActiveQuery?: () => unknown;
  once(event: 'drain', listener: () => void): unknown;
  /** Ours: the mode last asked for (a 'drain' that comes after pipeline mode was asked for again leaves it on). */
  rbPipeline?: boolean;
}

function setPipelineMode(client: pg.PoolClient, on: boolean): void {
  const c = client as unknown as PgClientInternals;
  c.rbPipeline = on;
  if (on) {
    c.pipeline = true;
    return;
  }
  if (!c.pipeline) return;
  // Leaving pipeline mode with answers still due would make node-postgres forget the queries sent:
  // wait until the last is answered ('drain').
  const busy = Boolean(c._getActiveQuery?.()) || (c._sentQueryQueue?.length ?? 0) > 0 || (c._queryQueue?.length ?? 0) > 0;
  if (!busy) c.pipeline = false;
  else
    c.once('drain', () => {
      if (!c.rbPipeline) c.pipeline = false;
    });
}

/**
 * In pipeline mode node-postgres writes each statement as it is asked for; the statements asked for
 * in one turn of the event loop (several callers' continuations run one after another in it) are
 * held in the socket and go in one write at its end.
 */
function corkUntilNextTick(client: pg.PoolClient, state: PipelineState): void {
  const stream = (client as unknown as PgClientInternals).connection?.stream;
  if (state.corked || !stream?.cork || !stream.uncork) return;
  state.corked = true;
  stream.cork();
  process.nextTick(() => {
    state.corked = false;
    stream.uncork!();
  });
}

const STATEMENT_CACHE_SIZE = 500;
const CACHEABLE_SQL_LENGTH = 4000;

/**
 * Kysely prepares every query afresh, and preparing costs about as much as running a small query
 * (a tenth of a check-in's server time in `npm run bench`). This keeps the prepared statements of
 * recent SQL texts (short ones: bulk inserts are not worth keeping) and reuses them. Statements
 * run to completion synchronously (`all`/`run`); one still being iterated (`busy`) is not shared.
 */
export function withStatementCache(sqlite: SQLite.Database, count: { n: number } = { n: 0 }): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      count.n++;
      const cached = cache.get(text);
      if (cached && !cached.busy) return cached;
      const stmt = sqlite.prepare(text);
      if (!cached && text.length <= CACHEABLE_SQL_LENGTH) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/** Applies every pending migration; safe to run from several nodes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
