import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Dialect, type DbHandle } from '../../server/db/kysely.js';
import { PG_ADMIN_URL } from './services.js';

export interface TestDatabase {
  url: string;
  dataDir: string;
  /** Opens a new handle on the database (the caller destroys it). */
  open(): DbHandle;
  drop(): Promise<void>;
}

/** A fresh, empty database of the dialect: a temp SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-test-'));
  if (dialect === 'sqlite') {
    const url = `sqlite:${path.join(dataDir, 'rollbook.db')}`;
    return {
      url,
      dataDir,
      open: () => openDatabase(url),
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `rb_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const base = new URL(PG_ADMIN_URL);
  base.pathname = `/${name}`;
  const url = base.toString();
  return {
    url,
    dataDir,
    open: () => openDatabase(url, { poolSize: 10 }),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
