import type { Kysely, Selectable } from 'kysely';
import type { CalendarTokensTable, Database } from '../../db/database.js';

export type CalendarTokenRow = Selectable<CalendarTokensTable>;
type Db = Kysely<Database>;

export function findCalendarToken(db: Db, userId: string): Promise<CalendarTokenRow | undefined> {
  return db.selectFrom('calendar_tokens').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** Stores the user's token (salt and hash), replacing any earlier one. */
export async function upsertCalendarToken(db: Db, row: CalendarTokenRow): Promise<void> {
  await db
    .insertInto('calendar_tokens')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ salt: row.salt, token_hash: row.token_hash, created_at: row.created_at }))
    .execute();
}

export async function setCalendarTokenHash(db: Db, userId: string, tokenHash: string): Promise<void> {
  await db.updateTable('calendar_tokens').set({ token_hash: tokenHash }).where('user_id', '=', userId).execute();
}

/** The active user a feed token belongs to. */
export function findUserByCalendarTokenHash(db: Db, tokenHash: string) {
  return db
    .selectFrom('calendar_tokens')
    .innerJoin('users', 'users.id', 'calendar_tokens.user_id')
    .select(['users.id', 'users.role', 'users.name'])
    .where('calendar_tokens.token_hash', '=', tokenHash)
    .where('users.active', '=', 1)
    .executeTakeFirst();
}
