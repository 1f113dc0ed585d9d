import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { nowIso, randomToken } from './ids.js';

const SECRET_KEY = 'signing_secret';

/**
 * The signing secret: SECRET, or one generated at first start and kept in the database's settings,
 * so every node sharing the database signs and verifies alike with nothing to configure. A secret
 * an older version generated into `$DATA_DIR/secret` is adopted, so its tokens stay valid.
 */
export async function loadSecret(db: Kysely<Database>, secret: string | undefined, dataDir: string): Promise<string> {
  if (secret) return secret;
  const stored = await db.selectFrom('settings').select('value').where('key', '=', SECRET_KEY).executeTakeFirst();
  if (stored) return stored.value;
  const file = path.join(dataDir, 'secret');
  const candidate = existsSync(file) ? readFileSync(file, 'utf8').trim() : randomToken(48);
  // Several nodes may start at once: the first insert wins and everyone reads the winner.
  await db
    .insertInto('settings')
    .values({ key: SECRET_KEY, value: candidate, updated_at: nowIso() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const winner = await db.selectFrom('settings').select('value').where('key', '=', SECRET_KEY).executeTakeFirstOrThrow();
  return winner.value;
}
