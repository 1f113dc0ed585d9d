import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';

/**
 * SQLite with `BEGIN IMMEDIATE` transactions: a transaction takes the write lock when it starts, so
 * two connections (two processes on one file) wait on busy_timeout instead of failing with
 * SQLITE_BUSY when a read-then-write transaction tries to upgrade its lock.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}
