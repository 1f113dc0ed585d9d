import type { Kysely, Selectable } from 'kysely';
import type { Database, NotificationsTable } from '../../db/database.js';

export type NotificationRow = Selectable<NotificationsTable>;
type Db = Kysely<Database>;

export async function insertNotifications(db: Db, rows: NotificationRow[]): Promise<void> {
  if (rows.length === 0) return;
  // Bounded batches keep each statement under SQLite's bind-parameter limit.
  for (let i = 0; i < rows.length; i += 500) {
    await db.insertInto('notifications').values(rows.slice(i, i + 500)).execute();
  }
}

export interface NotificationFilter {
  unreadOnly: boolean;
  limit: number;
  cursor?: string;
}

/** Newest first (ids are time-ordered); one extra row tells whether there is a next page. */
export async function listNotifications(db: Db, userId: string, f: NotificationFilter): Promise<{ rows: NotificationRow[]; next: string | null }> {
  let q = db.selectFrom('notifications').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(f.limit + 1);
  if (f.unreadOnly) q = q.where('read_at', 'is', null);
  if (f.cursor) q = q.where('id', '<', f.cursor);
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, next: more ? rows[rows.length - 1].id : null };
}

export async function countUnread(db: Db, userId: string): Promise<number> {
  const r = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export function findNotification(db: Db, userId: string, id: string): Promise<NotificationRow | undefined> {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
}

/** Marks one of the user's notifications read; the row as it is now, or undefined if it is not theirs. */
export async function markRead(db: Db, userId: string, id: string, at: string): Promise<NotificationRow | undefined> {
  const updated = await db
    .updateTable('notifications')
    .set({ read_at: at })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return updated ?? findNotification(db, userId, id);
}

export async function markAllRead(db: Db, userId: string, at: string): Promise<number> {
  const r = await db
    .updateTable('notifications')
    .set({ read_at: at })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Active users among `ids` who have an e-mail address. */
export function findMailRecipients(db: Db, ids: string[]): Promise<{ id: string; email: string | null; name: string }[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where('id', 'in', ids)
    .where('active', '=', 1)
    .where('email', 'is not', null)
    .execute();
}

export function userExists(db: Db, id: string): Promise<boolean> {
  return db
    .selectFrom('users')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst()
    .then((r) => !!r);
}
