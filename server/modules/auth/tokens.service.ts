import { createHash } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { Kysely } from 'kysely';
import type { Database, Role } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { newId, nowIso, randomToken } from '../../lib/ids.js';

export interface AccessClaims {
  sub: string;
  role: Role;
  /** Expiry, in seconds since the epoch. */
  exp?: number;
}

export interface TokenServiceOptions {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlDays: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

const refreshRejected = () =>
  new AppError(401, 'unauthenticated', 'Session expired', 'The refresh token is invalid, expired or was already used. Sign in again.');

/** Short-lived JWT access tokens and rotating, family-tracked refresh tokens. */
export class TokenService {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => Record<string, unknown>;

  constructor(private readonly opts: TokenServiceOptions) {
    this.sign = createSigner({ key: opts.secret, algorithm: 'HS256', expiresIn: opts.accessTtlSeconds * 1000, iss: 'rollbook' });
    this.verify = createVerifier({ key: opts.secret, algorithms: ['HS256'], allowedIss: 'rollbook', cache: 10_000 });
  }

  get accessTtlSeconds(): number {
    return this.opts.accessTtlSeconds;
  }

  signAccess(userId: string, role: Role): string {
    return this.sign({ sub: userId, role });
  }

  /** The token's claims, or null when it is malformed, forged or expired. */
  verifyAccess(token: string): AccessClaims | null {
    try {
      const p = this.verify(token);
      if (typeof p.sub !== 'string' || typeof p.role !== 'string') return null;
      return typeof p.exp === 'number' ? { sub: p.sub, role: p.role as Role, exp: p.exp } : { sub: p.sub, role: p.role as Role };
    } catch {
      return null;
    }
  }

  /** Stores a new refresh token (hashed) in `familyId` (a new family when omitted) and returns it. */
  async issueRefresh(db: Kysely<Database>, userId: string, familyId: string = newId()): Promise<string> {
    const id = newId();
    const token = `${id}.${randomToken(32)}`;
    await db
      .insertInto('refresh_tokens')
      .values({
        id,
        user_id: userId,
        family_id: familyId,
        token_hash: sha256(token),
        created_at: nowIso(),
        expires_at: new Date(Date.now() + this.opts.refreshTtlDays * 86400_000).toISOString(),
        used_at: null,
        revoked_at: null,
      })
      .execute();
    return token;
  }

  /**
   * Spends a refresh token and returns its user and a successor in the same family. A token that was
   * already spent is a sign of theft: its whole family is revoked.
   */
  async rotateRefresh(db: Kysely<Database>, token: string): Promise<{ userId: string; refreshToken: string }> {
    const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row) throw refreshRejected();
    if (row.revoked_at || row.expires_at <= nowIso()) throw refreshRejected();
    const outcome = await db.transaction().execute(async (trx) => {
      const spent = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: nowIso() })
        .where('id', '=', row.id)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(spent.numUpdatedRows) !== 1) return 'reused' as const;
      const user = await trx.selectFrom('users').select(['id', 'active']).where('id', '=', row.user_id).executeTakeFirst();
      if (!user || user.active !== 1) return 'inactive' as const;
      return { userId: row.user_id, refreshToken: await this.issueRefresh(trx, row.user_id, row.family_id) };
    });
    if (outcome === 'reused') await this.revokeFamily(db, row.family_id);
    if (typeof outcome === 'string') throw refreshRejected();
    return outcome;
  }

  async revokeFamily(db: Kysely<Database>, familyId: string): Promise<void> {
    await db
      .updateTable('refresh_tokens')
      .set({ revoked_at: nowIso() })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Revokes the family of `token` if it belongs to `userId` (logout); other tokens are ignored. */
  async revokeByToken(db: Kysely<Database>, token: string, userId: string): Promise<void> {
    const row = await db
      .selectFrom('refresh_tokens')
      .select('family_id')
      .where('token_hash', '=', sha256(token))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (row) await this.revokeFamily(db, row.family_id);
  }
}
