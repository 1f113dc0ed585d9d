import { CompiledQuery, Transaction, type DatabaseConnection, type Kysely, type KyselyProps } from 'kysely';
import { COMMIT_WITH_NEXT, PIPELINE_OFF, PIPELINE_ON, PIPELINE_STATUS, WITH_NEXT } from './kysely.js';

interface Pending<DB> {
  work: (trx: Transaction<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  /** How often this unit was put back after losing a deadlock. */
  retries: number;
  /** It asked for a transaction it can finish in (NeedsOwnTransaction): no COMMIT with its last write. */
  own?: boolean;
  /** RunOptions.concurrentKeys; undefined: the unit runs only one after another. */
  keys?: readonly string[];
}

export interface RunOptions {
  /**
   * The unit may run at the same time as the other units of its group, on their one transaction (the
   * concurrent pass, CommitGroupOptions.concurrent), provided no other unit of the group has any of
   * these keys. The unit promises that what it reads and decides depends on another unit's writes
   * only through what these keys name (e.g. the same student's record, the same browser's records in
   * a session): units sharing a key run one after another, as without the option.
   */
  concurrentKeys?: readonly string[];
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown } | { retry: true; own?: boolean };

/**
 * Thrown by a unit that had its COMMIT sent with a write (commitWithNextStatement) and then found it
 * needs more statements after all: the transaction is over with nothing of the unit in it (the unit
 * guarantees that, see commitWithNextStatement), and the unit is run again in a transaction it ends
 * the usual way.
 */
export class NeedsOwnTransaction extends Error {
  constructor() {
    super('the unit needs a transaction of its own');
  }
}

const COMMIT_NEXT = CompiledQuery.raw(COMMIT_WITH_NEXT);
/** Transactions whose running unit (alone, or the last of its group; PostgreSQL, pipelined) may commit with its last write. */
const mayCommitEarly = new WeakSet<object>();

/**
 * For a unit of a commit group: when it is alone in its transaction on PostgreSQL, or the last unit
 * of its group, its next statement is written together with the group's COMMIT (one round trip for
 * both; server/db/kysely.ts COMMIT_WITH_NEXT) and true is returned; otherwise (SQLite, a unit with
 * others after it, or a unit run again after NeedsOwnTransaction) nothing changes and false is
 * returned — the group commits as usual. If the last unit's statement fails, PostgreSQL skips the
 * COMMIT: that unit alone is rolled back to its savepoint and the others commit after all; if the
 * COMMIT fails, every unit of the group gets its error, as when the group's own COMMIT fails.
 *
 * The caller must make that statement its last one that writes, and must not throw after it
 * succeeded, except NeedsOwnTransaction when the statement wrote nothing. If the statement fails,
 * nothing was committed and the unit fails (or is retried after a deadlock) as before.
 *
 * In a concurrent pass every unit may answer true; the pass's COMMIT then goes with the units'
 * writes if all of them did and the writes are one merged statement (mergedStatement), and
 * otherwise the pass commits as usual — where a unit's NeedsOwnTransaction fails the pass, which
 * runs again one unit after another (its work twice, as after any failure in the pass).
 */
export async function commitWithNextStatement(trx: Transaction<any>): Promise<boolean> {
  const pass = concurrentPasses.get(trx);
  if (pass) {
    // The concurrent pass: the COMMIT goes with the units' merged write when every unit said so (ConcurrentPass).
    if (!pass.earlyCommitAllowed) return false;
    pass.ready++;
    return true;
  }
  if (!mayCommitEarly.delete(trx)) return false;
  await trx.executeQuery(COMMIT_NEXT);
  return true;
}

export interface CommitGroupOptions {
  /** Transactions that may run at once, each on its own connection (SQLite: 1, it has one writer). */
  lanes?: number;
  /** Units per transaction. A bigger group holds its first unit's acknowledgement (and live event) back for longer. */
  maxGroup?: number;
  /**
   * Send "release the previous unit's savepoint; open the next one" as one multi-statement text: one
   * round trip instead of two. PostgreSQL (simple query protocol) accepts it; better-sqlite3 does not
   * (and needs no round trips).
   */
  combineSavepoints?: boolean;
  /**
   * PostgreSQL: each unit's savepoint (and the previous one's release) waits on the connection and
   * is written together with the unit's first statement (server/db/kysely.ts, WITH_NEXT): no round
   * trip of its own. Like the transaction's BEGIN, which always waits so on PostgreSQL.
   */
  pipeline?: boolean;
  /**
   * A group of several first runs without savepoints. If every unit succeeds it commits as it is; if
   * any unit fails, the whole transaction is rolled back and the group runs again, each unit in its
   * own savepoint, so the others still commit and only the failing one gets its error. A savepoint
   * costs SQLite a copy of every page the unit touches (its journal); check-ins that fail inside a
   * group (a closed session, a student not enrolled) are rare, and such a group pays its units
   * twice. On for SQLite (`checkin-throughput`: server CPU per check-in 0.37, 0.35, 0.38 ms against
   * 0.40, 0.46, 0.38 in three pairs). Off for PostgreSQL, where its savepoints go with the units'
   * statements and four pairs of `checkin-throughput-pg` showed no difference (docs/performance-history.md).
   */
  optimistic?: boolean;
  /**
   * PostgreSQL: a group whose units all allow it (RunOptions.concurrentKeys, no key twice) first runs
   * its units at the same time on the transaction's connection in pipeline mode: every unit's first
   * statement goes in one write, then every unit's next, and so on — about two round trips for
   * the group (the reads with the BEGIN, the writes with the COMMIT: ConcurrentPass) instead of two
   * per unit. No savepoints: if any unit fails, the transaction is rolled back and the group runs again one unit
   * after another, each in its own savepoint, so the others still commit and only the failing one
   * gets its error (its work then runs twice, as in the optimistic pass).
   */
  concurrent?: boolean;
  /**
   * While check-ins keep coming, a lane that went idle starts its next group no sooner than this
   * many milliseconds after its last commit ended (only then: a unit arriving after a quiet moment
   * starts at once). Without it, a burst whose requests reach the server a few at a time — the
   * phones' requests arriving while the server answers the first ones — commits them one or two at
   * a time, each commit paying its WAL append and its own write to every watching socket, and a
   * server that pays that per check-in keeps up with the trickle rather than gathering it.
   */
  gatherMs?: number;
  /**
   * Between two groups of one lane, let Node's process.nextTick queue run. A driver that answers
   * synchronously (better-sqlite3) settles every statement in a microtask, so a lane with a queue of
   * groups would commit them all in one chain of microtasks: each group's HTTP replies and live
   * events (socket writes uncorked on process.nextTick) would wait for the last group's commit. Only
   * the tick queue, not the event loop: a setImmediate let new requests in between groups and raised
   * a burst's median latency by half (docs/performance-history.md, "The teacher's screen during a burst").
   * PostgreSQL's lanes wait on their socket between statements anyway.
   */
  yieldBetweenGroups?: boolean;
  /**
   * While a lane is busy, another lane starts only once this many units are queued (default 1: a
   * free lane takes whatever is queued). With several lanes, a burst whose requests reach the server
   * a few at a time would otherwise be committed one or two per transaction, each paying its round
   * trips and its WAL flush, because a free lane is always there to take them; waiting for the busy
   * lane lets them gather into its next group. A backlog still spreads over every lane.
   */
  extraLaneAt?: number;
}

const SAVEPOINT = CompiledQuery.raw('savepoint grouped');
const RELEASE = CompiledQuery.raw('release savepoint grouped');
const RELEASE_AND_SAVEPOINT = CompiledQuery.raw('release savepoint grouped; savepoint grouped');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint grouped');
const SAVEPOINT_WITH_NEXT = CompiledQuery.raw(`${WITH_NEXT}savepoint grouped`);
const RELEASE_WITH_NEXT = CompiledQuery.raw(`${WITH_NEXT}release savepoint grouped`);
const ASK_PIPELINE = CompiledQuery.raw(PIPELINE_STATUS);
const PIPELINE_ON_QUERY = CompiledQuery.raw(PIPELINE_ON);
const PIPELINE_OFF_QUERY = CompiledQuery.raw(PIPELINE_OFF);
/** PostgreSQL's deadlock_detected: the unit lost a lock cycle with another lane's group; it is run again. */
const DEADLOCK = '40P01';
const MAX_RETRIES = 3;

/**
 * Group commit. A commit — on SQLite appending every page the transaction touched to the WAL, on
 * PostgreSQL a WAL flush (fdatasync) plus the BEGIN and COMMIT round trips — was the largest single
 * cost of a check-in in `npm run bench`. Units of work that arrive together (in the same turn of
 * the event loop, or while the lanes are busy) therefore share one `BEGIN … COMMIT`, each inside its
 * own savepoint:
 *
 * - a unit is still all-or-nothing: if it throws, its savepoint is rolled back and only its caller
 *   gets the error; the others carry on;
 * - a caller's promise settles only after the shared COMMIT: nothing is acknowledged (or published)
 *   before it is durable, and if the COMMIT fails every caller of the group gets the error;
 * - within a lane units run one after another in arrival order and see the writes of those before
 *   them, exactly as separate transactions on one connection would. On PostgreSQL several lanes run
 *   at once (each its own transaction and connection), as separate transactions would; a unit that
 *   loses a deadlock between two lanes is rolled back to its savepoint and queued again.
 */
export class CommitGroup<DB> {
  /** Transactions this group committed, and the units they held (metrics: units per commit). */
  readonly committed = { transactions: 0, units: 0 };
  private queue: Pending<DB>[] = [];
  private scheduled = false;
  private busyLanes = 0;
  private readonly lanes: number;
  private readonly maxGroup: number;
  private readonly combine: boolean;
  private readonly pipeline: boolean;
  private readonly optimistic: boolean;
  private readonly concurrent: boolean;
  private readonly gatherMs: number;
  private readonly yieldBetweenGroups: boolean;
  private readonly extraLaneAt: number;
  /** When the last group's transaction ended (performance.now()), for gatherMs. */
  private lastCommitEnded = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Kysely<DB>,
    options: CommitGroupOptions = {},
  ) {
    this.lanes = Math.max(1, options.lanes ?? 1);
    this.maxGroup = Math.max(1, options.maxGroup ?? 32);
    this.combine = options.combineSavepoints ?? false;
    this.pipeline = options.pipeline ?? false;
    this.optimistic = options.optimistic ?? false;
    this.concurrent = options.concurrent ?? false;
    this.gatherMs = Math.max(0, options.gatherMs ?? 0);
    this.yieldBetweenGroups = options.yieldBetweenGroups ?? false;
    this.extraLaneAt = Math.max(1, options.extraLaneAt ?? 1);
  }

  run<T>(work: (trx: Transaction<DB>) => Promise<T>, options: RunOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject, retries: 0, keys: options.concurrentKeys });
      this.schedule();
    });
  }

  /**
   * Starts a lane at the end of this turn of the event loop, so that what arrives in it groups — or,
   * right after a commit (gatherMs), when that much time has passed since it, so that what arrives
   * meanwhile groups too.
   */
  private schedule(): void {
    if (this.scheduled || this.busyLanes >= this.lanes) return;
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.busyLanes < this.lanes && (this.busyLanes === 0 || this.queue.length >= this.extraLaneAt)) void this.lane();
    };
    const wait = this.queue.length < this.maxGroup ? this.lastCommitEnded + this.gatherMs - performance.now() : 0;
    if (wait >= 1) setTimeout(start, wait);
    else setImmediate(start);
  }

  /** One lane: runs groups back to back while there is work, then frees itself. */
  private async lane(): Promise<void> {
    this.busyLanes++;
    try {
      while (this.queue.length > 0) {
        // Share what is queued among the free lanes rather than one lane taking it all — but only
        // among as many as extraLaneAt lets start: a share below it would wait for this lane anyway.
        const sharers = Math.max(1, Math.min(this.lanes - this.busyLanes + 1, Math.floor(this.queue.length / this.extraLaneAt)));
        const size = Math.min(this.maxGroup, Math.ceil(this.queue.length / sharers));
        await this.commit(this.queue.splice(0, size));
        if (this.yieldBetweenGroups && this.queue.length > 0) await new Promise((resolve) => process.nextTick(resolve));
      }
    } finally {
      this.lastCommitEnded = performance.now();
      this.busyLanes--;
      if (this.queue.length > 0) this.schedule();
    }
  }

  /**
   * One transaction for the group. The first pass runs the units at the same time (`concurrent`,
   * when they allow it) or without savepoints (`optimistic`); when any unit fails there, the group
   * runs again with a savepoint per unit (`guarded`).
   */
  private async commit(group: Pending<DB>[], pass: 'first' | 'guarded' = 'first'): Promise<void> {
    if (pass === 'first' && this.concurrent && group.length > 1 && keysApart(group)) return this.commitConcurrently(group);
    const savepoints = pass === 'guarded' || !this.optimistic;
    const outcomes: Outcome[] = [];
    let trx;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    // A unit alone in its transaction needs no savepoint: if it fails, the transaction is rolled back
    // instead (one round trip less on PostgreSQL when check-ins do not arrive together).
    const alone = group.length === 1;
    const guarded = !alone && savepoints;
    if (alone && this.pipeline && !group[0].own) mayCommitEarly.add(trx);
    try {
      let open = false;
      for (const [i, p] of group.entries()) {
        if (guarded && this.pipeline) {
          if (open) await trx.executeQuery(RELEASE_WITH_NEXT);
          await trx.executeQuery(SAVEPOINT_WITH_NEXT);
          open = true;
        } else if (guarded) {
          await trx.executeQuery(open && this.combine ? RELEASE_AND_SAVEPOINT : open ? RELEASE : SAVEPOINT);
          if (open && !this.combine) await trx.executeQuery(SAVEPOINT);
          open = true;
        }
        // The group's last unit may send the group's COMMIT with its last write, as a unit alone does.
        const last = !alone && this.pipeline && i === group.length - 1 && !p.own;
        if (last) mayCommitEarly.add(trx);
        try {
          outcomes.push({ ok: true, value: await p.work(trx) });
        } catch (err) {
          const outcome: Outcome =
            err instanceof NeedsOwnTransaction && !p.own ? { retry: true, own: true } : isDeadlock(err) && p.retries < MAX_RETRIES ? { retry: true } : { ok: false, err };
          if (alone) {
            await trx.rollback().execute().catch(() => undefined);
            this.settle(group, [outcome]);
            return;
          }
          // The last unit took the COMMIT with its write (commitWithNextStatement answered true).
          const armed = last && !mayCommitEarly.has(trx);
          // Its write succeeded, so the group committed, and it wrote nothing (NeedsOwnTransaction's
          // promise): nothing to undo, and the COMMIT below sends nothing.
          if (armed && err instanceof NeedsOwnTransaction) {
            outcomes.push(outcome);
            continue;
          }
          if (!guarded) {
            // The optimistic pass: nothing was committed (a COMMIT sent with the last write failed, or
            // was never reached). Undo everything and run the group again with a savepoint per unit.
            mayCommitEarly.delete(trx);
            await trx.rollback().execute().catch(() => undefined);
            return this.commit(group, 'guarded');
          }
          // The savepoint (or the release of the one before) that went with the unit's statement did
          // not run: rolling back to a savepoint now would undo an earlier unit. The whole group fails.
          if (this.pipeline && (await trx.executeQuery<{ failed: boolean }>(ASK_PIPELINE)).rows[0]?.failed) throw err;
          // Undo this unit only; if that fails the transaction is gone and the whole group fails below
          // — with the unit's own error when that was its COMMIT failing (nothing of the group was kept).
          await trx.executeQuery(ROLLBACK_TO).catch((rollbackErr: unknown) => {
            throw armed ? err : rollbackErr;
          });
          outcomes.push(outcome);
        }
      }
      // COMMIT releases the last savepoint with everything else (SQLite and PostgreSQL alike).
      await trx.commit().execute();
    } catch (err) {
      await trx.rollback().execute().catch(() => undefined);
      for (const p of group) p.reject(err);
      return;
    }
    this.committed.transactions++;
    this.committed.units += group.length;
    this.settle(group, outcomes);
  }

  /** The concurrent pass (CommitGroupOptions.concurrent): every unit at once, pipelined on one connection. */
  private async commitConcurrently(group: Pending<DB>[]): Promise<void> {
    let trx;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    let results: PromiseSettledResult<unknown>[];
    // A unit run again for a transaction of its own (NeedsOwnTransaction) must not commit with its write again.
    const pass: ConcurrentPass = { size: group.length, ready: 0, earlyCommitAllowed: !group.some((p) => p.own), committed: false };
    try {
      const shared = await sharedTransaction(trx, pass);
      await trx.executeQuery(PIPELINE_ON_QUERY);
      try {
        results = await Promise.allSettled(group.map((p) => p.work(shared)));
      } finally {
        await trx.executeQuery(PIPELINE_OFF_QUERY);
      }
    } catch (err) {
      await trx.rollback().execute().catch(() => undefined);
      for (const p of group) p.reject(err);
      return;
    }
    // With the COMMIT sent with the units' merged write (pass.committed) everything the pass wrote is
    // kept, whatever a unit did after it.
    if (!pass.committed && results.some((r) => r.status === 'rejected')) {
      // Which unit failed, and whether it wrote anything first, is not known here: none of the group
      // is kept, and it runs again one unit after another (each unit's error, deadlock retries).
      await trx.rollback().execute().catch(() => undefined);
      return this.commit(group, 'guarded');
    }
    try {
      // After a COMMIT sent with the merged write this sends nothing.
      await trx.commit().execute();
    } catch (err) {
      await trx.rollback().execute().catch(() => undefined);
      for (const p of group) p.reject(err);
      return;
    }
    this.committed.transactions++;
    this.committed.units += group.length;
    // Only after a COMMIT sent with the merged write can a unit have failed here: one whose write
    // wrote nothing and that needs more statements runs again in a transaction of its own (by
    // commitWithNextStatement's contract nothing else can fail after that write).
    this.settle(
      group,
      results.map((r): Outcome => (r.status === 'fulfilled' ? { ok: true, value: r.value } : r.reason instanceof NeedsOwnTransaction ? { retry: true, own: true } : { ok: false, err: r.reason })),
    );
  }

  /** After the transaction ended: answer each unit, or queue it again after a lost deadlock. */
  private settle(group: Pending<DB>[], outcomes: Outcome[]): void {
    group.forEach((p, i) => {
      const o = outcomes[i];
      if ('retry' in o) {
        if (o.own) p.own = true;
        else p.retries++;
        this.queue.push(p);
      } else if (o.ok) p.resolve(o.value);
      else p.reject(o.err);
    });
  }
}

/** Every unit allows the concurrent pass, and no key is held by two of them. */
function keysApart(group: readonly { keys?: readonly string[] }[]): boolean {
  const seen = new Set<string>();
  for (const p of group) {
    if (!p.keys) return false;
    for (const k of p.keys) {
      if (seen.has(k)) return false;
      seen.add(k);
    }
  }
  return true;
}

/**
 * The transaction as its units see it in the concurrent pass: its statements go straight to the
 * transaction's connection. Kysely's own transaction sends one statement at a time (it waits for
 * each to finish before it hands the connection to the next), which would put the units back in a
 * row. The connection's driver is only the transaction's: beginning, committing and rolling back
 * stay with `trx`; a Transaction has no use for the driver, dialect or config it is built with.
 */
async function sharedTransaction<DB>(trx: Transaction<DB>, pass: ConcurrentPass): Promise<Transaction<DB>> {
  const executor = trx.getExecutor();
  const connection = await executor.provideConnection(async (c: DatabaseConnection) => c);
  const props = {
    config: {},
    driver: {},
    dialect: {},
    executor: executor.withConnectionProvider({ provideConnection: (consume) => consume(connection) }),
  } as unknown as KyselyProps;
  const shared = new Transaction<DB>(props);
  concurrentPasses.set(shared, pass);
  return shared;
}

/**
 * A concurrent pass under way. Its COMMIT goes with the units' last write, saving the pass a round
 * trip (the COMMIT's own, with PostgreSQL's WAL flush behind it), when every unit said that write is
 * its last (`ready`, commitWithNextStatement) and the writes are one merged statement — the code
 * check-ins of a burst.
 */
interface ConcurrentPass {
  size: number;
  /** Units whose next statement is their last write. */
  ready: number;
  /** No unit of the pass is being run again for a transaction of its own. */
  earlyCommitAllowed: boolean;
  /** The COMMIT went with a merged write, which succeeded: the transaction is over. */
  committed: boolean;
}

const concurrentPasses = new WeakMap<object, ConcurrentPass>();

/**
 * A statement that the units of a concurrent pass may give together: `one` runs it for one unit,
 * `many` for several (answering in their order). On the transaction of a concurrent pass, the calls
 * given in one turn — the pass starts every unit of its group in one go, so their first statements,
 * then their next, come together — are sent as one once that turn's synchronous work and promise
 * continuations are done (process.nextTick); anywhere else, and for a call alone, it is `one`. If the
 * merged statement fails, every unit in it gets the error; the pass then fails and runs again one
 * unit after another, each with statements of its own.
 */
export function mergedStatement<P, R>(
  one: (db: Kysely<any>, parameters: P) => Promise<R>,
  many: (db: Kysely<any>, all: P[]) => Promise<R[]>,
): (db: Kysely<any>, parameters: P) => Promise<R> {
  type Waiting = { parameters: P; resolve(result: R): void; reject(err: unknown): void };
  const gathering = new WeakMap<object, Waiting[]>();
  const send = (db: Kysely<any>, waiting: Waiting[]) => {
    gathering.delete(db);
    const pass = concurrentPasses.get(db);
    // Every unit of the pass is here, with its last write: the pass's COMMIT goes with the statement.
    const withCommit = pass !== undefined && !pass.committed && waiting.length === pass.size && pass.ready === pass.size;
    const run = () => (waiting.length === 1 ? one(db, waiting[0].parameters).then((r) => [r]) : many(db, waiting.map((w) => w.parameters)));
    const settled = withCommit ? db.executeQuery(COMMIT_NEXT).then(run) : run();
    settled.then(
      (results) => {
        if (withCommit) pass.committed = true;
        waiting.forEach((w, i) => w.resolve(results[i]));
      },
      (err: unknown) => {
        for (const w of waiting) w.reject(err);
      },
    );
  };
  const gather = (db: Kysely<any>) => {
    const waiting: Waiting[] = [];
    gathering.set(db, waiting);
    process.nextTick(() => send(db, waiting));
    return waiting;
  };
  return (db, parameters) => {
    if (!concurrentPasses.has(db)) return one(db, parameters);
    const waiting = gathering.get(db) ?? gather(db);
    return new Promise((resolve, reject) => waiting.push({ parameters, resolve, reject }));
  };
}

function isDeadlock(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DEADLOCK;
}

/**
 * PostgreSQL lanes: transactions in flight at once. Two cores here run the server and PostgreSQL;
 * a few lanes keep PostgreSQL busy while one waits on its WAL flush, more only add lock waits and
 * context switches (`npm run bench`, docs/performance-history.md).
 */
export const POSTGRES_LANES = 4;

/**
 * extraLaneAt for PostgreSQL's lanes: half a group (docs/performance-history.md, "PostgreSQL: a second lane
 * for a backlog, not for every arrival").
 */
export const POSTGRES_EXTRA_LANE_AT = 16;

/**
 * gatherMs for SQLite's lane (docs/performance-history.md, "Bursts that arrive a few at a time"). Not for
 * PostgreSQL's lanes: two-node bursts showed no gain from it there.
 */
const SQLITE_GATHER_MS = 2;

const groups = new WeakMap<object, unknown>();

const otherStats = new WeakMap<object, () => { transactions: number; units: number }>();

/** Counts another group commit's figures (the check-in writer thread's) into the database's. */
export function registerGroupStats(db: Kysely<any>, stats: () => { transactions: number; units: number }): void {
  otherStats.set(db, stats);
}

/** What the database's commit groups committed so far (zeros before its first check-in). */
export function commitGroupStats(db: Kysely<any>): { transactions: number; units: number } {
  const group = groups.get(db) as CommitGroup<unknown> | undefined;
  const own = group ? group.committed : { transactions: 0, units: 0 };
  const other = otherStats.get(db)?.() ?? { transactions: 0, units: 0 };
  return { transactions: own.transactions + other.transactions, units: own.units + other.units };
}

/** The database's commit group (one per Kysely instance), set up for its dialect. */
export function commitGroupOf<DB>(db: Kysely<DB>, dialect: 'sqlite' | 'postgres'): CommitGroup<DB> {
  let group = groups.get(db) as CommitGroup<DB> | undefined;
  if (!group) {
    group = new CommitGroup(db, dialect === 'sqlite' ? { lanes: 1, optimistic: true, gatherMs: SQLITE_GATHER_MS, yieldBetweenGroups: true } : { lanes: POSTGRES_LANES, pipeline: true, concurrent: true, extraLaneAt: POSTGRES_EXTRA_LANE_AT });
    groups.set(db, group);
  }
  return group;
}
