import type { Compilable, CompiledQuery, Kysely, QueryResult, SqliteDatabase } from 'kysely';

const ARG = '\u0000hot-query-arg:';

type Slot = { arg: number; key: string | null } | null;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** SQLite handles by their Kysely instance's dialect adapter (which its transactions share). */
const sqliteByAdapter = new WeakMap<object, SqliteDatabase>();

/**
 * Lets hot queries inside a transaction of this (SQLite) Kysely instance run their statement on the
 * connection directly. The transaction holds SQLite's one connection and runs its statements one
 * after another, and better-sqlite3 runs each synchronously, so calling the prepared statement here
 * is what Kysely's driver would do — minus the query executor, the connection provider and their
 * promises, which cost about as much as the statement itself (25–40 µs of a check-in's handful).
 * Outside a transaction the query still goes through Kysely, whose connection mutex keeps a read
 * from running inside somebody else's open transaction.
 */
export function enableSqliteFastPath(db: Kysely<any>, sqlite: SqliteDatabase): void {
  sqliteByAdapter.set(db.getExecutor().adapter, sqlite);
}

function runOnSqlite<R>(sqlite: SqliteDatabase, sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>> {
  try {
    const stmt = sqlite.prepare(sql);
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * A query of the check-in path, built and compiled once per dialect; each call only binds new
 * arguments. Kysely otherwise builds an operation tree and compiles it to SQL on every call, which
 * `npm run bench` measured at about 20 µs per query — as much as SQLite takes to run it.
 *
 * `build` receives placeholders for its arguments (for a plain-object argument, an object whose
 * every property is a placeholder) and must use each one only as a value, bound as a parameter:
 * never to decide the query's shape (no `if (arg)`, no `in` lists, no column names). Works on a
 * transaction too (same SQL).
 */
export function hotQuery<DB, A extends unknown[], R>(build: (db: Kysely<DB>, ...args: A) => Compilable<R>) {
  // Keyed by the dialect adapter, which a Kysely instance shares with its transactions.
  const templates = new WeakMap<object, { compiled: CompiledQuery<R>; slots: Slot[] }>();
  return (db: Kysely<DB>, ...args: A): Promise<QueryResult<R>> => {
    const key = db.getExecutor().adapter;
    let template = templates.get(key);
    if (!template) {
      try {
        template = compileTemplate(db, args);
      } catch (err) {
        return Promise.reject(err);
      }
      templates.set(key, template);
    }
    const { compiled, slots } = template;
    const parameters = slots.map((slot, i) => {
      if (!slot) return compiled.parameters[i];
      const value = args[slot.arg];
      return slot.key === null ? value : (value as Record<string, unknown>)[slot.key];
    });
    if (db.isTransaction) {
      const sqlite = sqliteByAdapter.get(key);
      if (sqlite) return runOnSqlite<R>(sqlite, compiled.sql, parameters);
    }
    return db.executeQuery<R>({ ...compiled, parameters });
  };

  function compileTemplate(db: Kysely<DB>, args: A): { compiled: CompiledQuery<R>; slots: Slot[] } {
    const placeholders = args.map((a, i) =>
      isPlainObject(a) ? new Proxy({}, { get: (_, k) => `${ARG}${i}.${String(k)}` }) : `${ARG}${i}`,
    ) as A;
    const compiled = build(db, ...placeholders).compile();
    const slots: Slot[] = compiled.parameters.map((p) => {
      if (typeof p !== 'string' || !p.startsWith(ARG)) return null;
      const [arg, ...rest] = p.slice(ARG.length).split('.');
      return { arg: Number(arg), key: rest.length ? rest.join('.') : null };
    });
    for (let i = 0; i < args.length; i++) {
      if (!slots.some((s) => s?.arg === i)) throw new Error(`hotQuery: argument ${i} is not used as a value in: ${compiled.sql}`);
    }
    return { compiled, slots };
  }
}
