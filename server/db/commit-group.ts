import { CompiledQuery, type Kysely, type Transaction } from 'kysely';

interface Pending<DB> {
  work: (trx: Transaction<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** A bigger group would hold its first unit's acknowledgement (and live event) back for longer. */
const MAX_GROUP = 32;
const SAVEPOINT = CompiledQuery.raw('savepoint grouped');
const RELEASE = CompiledQuery.raw('release savepoint grouped');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint grouped');

/**
 * Group commit for SQLite. Writes on SQLite are serial anyway (one connection, one writer), and a
 * commit — appending every page the transaction touched to the WAL — was the largest single cost
 * of a check-in in `npm run bench`. Units of work that arrive together (in the same turn of the
 * event loop) therefore share one `BEGIN IMMEDIATE … COMMIT`, each inside its own savepoint:
 *
 * - a unit is still all-or-nothing: if it throws, its savepoint is rolled back and only its caller
 *   gets the error; the others carry on;
 * - a caller's promise settles only after the shared COMMIT: nothing is acknowledged (or published)
 *   before it is durable, and if the COMMIT fails every caller of the group gets the error;
 * - units run one after another in arrival order and see the writes of those before them, exactly
 *   as separate transactions on the one connection would.
 */
export class CommitGroup<DB> {
  private queue: Pending<DB>[] = [];
  private scheduled = false;

  constructor(private readonly db: Kysely<DB>) {}

  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Runs everything queued, MAX_GROUP units per transaction, back to back. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commit(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.scheduled = false;
      if (this.queue.length > 0) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    }
  }

  private async commit(group: Pending<DB>[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    let trx;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    try {
      for (const p of group) {
        await trx.executeQuery(SAVEPOINT);
        try {
          const value = await p.work(trx);
          await trx.executeQuery(RELEASE);
          outcomes.push({ ok: true, value });
        } catch (err) {
          // Undo this unit only; if that fails the transaction is gone and the whole group fails below.
          await trx.executeQuery(ROLLBACK_TO);
          await trx.executeQuery(RELEASE);
          outcomes.push({ ok: false, err });
        }
      }
      await trx.commit().execute();
    } catch (err) {
      await trx.rollback().execute().catch(() => undefined);
      for (const p of group) p.reject(err);
      return;
    }
    group.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok) p.resolve(o.value);
      else p.reject(o.err);
    });
  }
}
