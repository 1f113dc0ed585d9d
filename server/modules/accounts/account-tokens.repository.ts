import type { AccountTokenKind } from '../../db/database.js';
import type { Db } from '../../db/kysely.js';

export interface NewAccountToken {
  id: string;
  userId: string;
  kind: AccountTokenKind;
  tokenHash: string;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
}

/** Stores a new token and spends every earlier unused one of the same kind: only the latest link works. */
export async function replaceAccountToken(db: Db, t: NewAccountToken): Promise<void> {
  await db
    .updateTable('account_tokens')
    .set({ used_at: t.createdAt })
    .where('user_id', '=', t.userId)
    .where('kind', '=', t.kind)
    .where('used_at', 'is', null)
    .execute();
  await db
    .insertInto('account_tokens')
    .values({
      id: t.id,
      user_id: t.userId,
      kind: t.kind,
      token_hash: t.tokenHash,
      created_by: t.createdBy,
      created_at: t.createdAt,
      expires_at: t.expiresAt,
      used_at: null,
    })
    .execute();
}

/**
 * Spends the token with this hash if it is unused and unexpired, in one statement, so two requests
 * racing with the same link cannot both succeed. Returns the token's user and kind, or undefined.
 */
export function spendAccountToken(db: Db, tokenHash: string, now: string) {
  return db
    .updateTable('account_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['user_id', 'kind'])
    .executeTakeFirst();
}
