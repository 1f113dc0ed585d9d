import { type Insertable, type Kysely, type Selectable, type Updateable, sql } from 'kysely';
import type { Database, Role, UsersTable } from '../../db/database.js';
import { hotQuery } from '../../db/hot-query.js';

export type UserRow = Selectable<UsersTable>;
type Db = Kysely<Database>;

export function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

const findUserAccessQuery = hotQuery((db: Db, id: string) => db.selectFrom('users').select(['role', 'active']).where('id', '=', id));

/** Just what authorisation needs: the current role and whether the account is active (every request: a hotQuery). */
export async function findUserAccess(db: Db, id: string): Promise<Pick<UserRow, 'role' | 'active'> | undefined> {
  return (await findUserAccessQuery(db, id)).rows[0];
}

/** Finds a user by username or e-mail (both stored lower-case). */
export function findUserByLogin(db: Db, login: string): Promise<UserRow | undefined> {
  const l = login.trim().toLowerCase();
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb.or([eb('username', '=', l), eb('email', '=', l)]))
    .executeTakeFirst();
}

export function findUsersByUsernames(db: Db, usernames: string[]): Promise<UserRow[]> {
  if (usernames.length === 0) return Promise.resolve([]);
  return db.selectFrom('users').selectAll().where('username', 'in', usernames).execute();
}

export interface UserFilter {
  role?: Role;
  q?: string;
  sectionId?: string;
  active?: 'true' | 'false' | 'all';
  limit: number;
  cursor?: string;
}

/** A page of users ordered by id (creation order); fetches one extra row to know if there is more. */
export async function listUsers(db: Db, f: UserFilter): Promise<{ rows: UserRow[]; next: string | null }> {
  let q = db.selectFrom('users').selectAll().orderBy('id').limit(f.limit + 1);
  if (f.role) q = q.where('role', '=', f.role);
  if (f.sectionId) q = q.where('section_id', '=', f.sectionId);
  if (f.active === 'true') q = q.where('active', '=', 1);
  if (f.active === 'false') q = q.where('active', '=', 0);
  if (f.cursor) q = q.where('id', '>', f.cursor);
  if (f.q) {
    // % and _ in the search are plain characters; SQLite has no default LIKE escape, so name one.
    const like = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const matches = (col: 'name' | 'username' | 'email' | 'student_number' | 'staff_number') =>
      sql<boolean>`lower(${sql.ref(col)}) like ${like} escape '\\'`;
    q = q.where((eb) =>
      eb.or([matches('name'), matches('username'), matches('email'), matches('student_number'), matches('staff_number')]),
    );
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, next: more ? rows[rows.length - 1].id : null };
}

export async function insertUser(db: Db, row: Insertable<UsersTable>): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function updateUserRow(db: Db, id: string, patch: Updateable<UsersTable>): Promise<UserRow | undefined> {
  return db.updateTable('users').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function countUsers(db: Db): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function countActiveAdmins(db: Db): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('active', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
