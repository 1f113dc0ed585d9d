import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { User } from '../../../common/user.schemas.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { nowIso, randomToken } from '../../lib/ids.js';
import { countActiveAdmins } from '../users/users.repository.js';
import { createUser } from '../users/users.service.js';

const SETUP_KEY = 'setup_token_hash';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function setupNeeded(db: Kysely<Database>): Promise<boolean> {
  return countActiveAdmins(db).then((n) => n === 0);
}

/**
 * On a database with no administrator: creates one from ADMIN_USERNAME/ADMIN_PASSWORD, or else
 * stores a one-time setup token and returns it for the setup link.
 */
export async function ensureFirstAdmin(
  db: Kysely<Database>,
  config: Config,
  log: FastifyBaseLogger,
): Promise<{ setupToken: string | null }> {
  if (!(await setupNeeded(db))) return { setupToken: null };
  if (config.ADMIN_USERNAME && config.ADMIN_PASSWORD) {
    try {
      await createUser(db, null, {
        role: 'admin',
        username: config.ADMIN_USERNAME,
        name: 'Administrator',
        email: config.ADMIN_EMAIL ?? null,
        password: config.ADMIN_PASSWORD,
      });
      log.info({ username: config.ADMIN_USERNAME }, 'created the first administrator from ADMIN_USERNAME');
    } catch (err) {
      // Another node created it at the same moment: that is fine.
      if ((err as AppError).code !== 'conflict') throw err;
    }
    return { setupToken: null };
  }
  const token = randomToken(24);
  const now = nowIso();
  await db
    .insertInto('settings')
    .values({ key: SETUP_KEY, value: sha256(token), updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: sha256(token), updated_at: now }))
    .execute();
  return { setupToken: token };
}

/** Creates the first administrator with the one-time token from the setup link. */
export async function completeSetup(
  db: Kysely<Database>,
  input: { token: string; username: string; password: string; name: string; email?: string },
): Promise<User> {
  if (!(await setupNeeded(db))) {
    throw new AppError(409, 'setup_done', 'Already set up', 'Rollbook already has an administrator. Sign in instead.');
  }
  const claimed = await db
    .deleteFrom('settings')
    .where('key', '=', SETUP_KEY)
    .where('value', '=', sha256(input.token))
    .executeTakeFirst();
  if (Number(claimed.numDeletedRows) !== 1) {
    throw new AppError(403, 'invalid_setup_token', 'Invalid setup link', 'This setup link is not valid. Use the link printed by the server at start.');
  }
  try {
    return await createUser(db, null, {
      role: 'admin',
      username: input.username,
      name: input.name,
      email: input.email ?? null,
      password: input.password,
    });
  } catch (err) {
    // The link stays usable after a rejected form.
    await db.insertInto('settings').values({ key: SETUP_KEY, value: sha256(input.token), updated_at: nowIso() }).execute();
    throw err;
  }
}
