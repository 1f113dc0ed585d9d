import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult, type SqliteDialectConfig } from 'kysely';
import type { WriteLockSide } from './sqlite-write-lock.js';

/** A statement outside a transaction that may write (and so needs SQLite's write lock). */
const WRITES = /^\s*(insert|update|delete|replace|with|create|drop|alter)\b/i;

const BEGIN = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * SQLite with `BEGIN IMMEDIATE` transactions: a transaction takes the write lock when it starts, so
 * two connections (two processes on one file) wait on busy_timeout instead of failing with
 * SQLITE_BUSY when a read-then-write transaction tries to upgrade its lock.
 *
 * With `lock` (the check-in writer thread shares the file: sqlite-write-lock.ts) every transaction,
 * and every write outside one, first takes this connection's side of the lock, and gives it back
 * when the transaction (or the write) ends.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly lock?: WriteLockSide,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const lock = this.lock;
    if (!lock) {
      driver.beginTransaction = async (connection: DatabaseConnection) => {
        await connection.executeQuery(BEGIN);
      };
      return driver;
    }
    let inTransaction = false;
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await lock.acquire();
      try {
        await connection.executeQuery(BEGIN);
      } catch (err) {
        lock.release();
        throw err;
      }
      inTransaction = true;
    };
    // A failed COMMIT leaves the transaction open (its caller rolls it back): the lock is kept until then.
    driver.commitTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(COMMIT);
      inTransaction = false;
      lock.release();
    };
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      inTransaction = false;
      try {
        await connection.executeQuery(ROLLBACK);
      } finally {
        lock.release();
      }
    };
    // SQLite has one connection here, always the same one: writes outside a transaction take the lock for themselves.
    const acquire = driver.acquireConnection.bind(driver);
    let wrapped: DatabaseConnection | undefined;
    driver.acquireConnection = async () => {
      const connection = await acquire();
      wrapped ??= {
        async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
          if (inTransaction || !WRITES.test(query.sql)) return connection.executeQuery<R>(query);
          await lock.acquire();
          try {
            return await connection.executeQuery<R>(query);
          } finally {
            lock.release();
          }
        },
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
      };
      return wrapped;
    };
    return driver;
  }
}
