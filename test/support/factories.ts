import type { Db } from '../../server/db/kysely.js';
import type { Role, UsersTable } from '../../server/db/database.js';
import { newId, nowIso } from '../../server/lib/ids.js';
import { hashPassword } from '../../server/lib/passwords.js';
import type { TestContext } from './test-app.js';

export const DEFAULT_PASSWORD = 'correct-horse-battery';
let defaultHash: Promise<string> | undefined;
let counter = 0;

export interface BuiltUser {
  id: string;
  role: Role;
  username: string;
  password: string;
  studentNumber: string | null;
}

/** Inserts a user straight into the database (fast: the default password is hashed once). */
export async function buildUser(db: Db, overrides: Partial<UsersTable> & { password?: string } = {}): Promise<BuiltUser> {
  const { password, ...row } = overrides;
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const role = row.role ?? 'student';
  defaultHash ??= hashPassword(DEFAULT_PASSWORD);
  const now = nowIso();
  const values: UsersTable = {
    id: newId(),
    role,
    username: `${role}-${n}`,
    email: `${role}-${n}@school.test`,
    name: `Test ${role} ${n}`,
    phone: null,
    student_number: role === 'student' ? `S${n}` : null,
    staff_number: role === 'teacher' ? `T${n}` : null,
    section_id: null,
    active: 1,
    password_hash: password ? await hashPassword(password) : await defaultHash,
    created_at: now,
    updated_at: now,
    ...row,
  };
  await db.insertInto('users').values(values).execute();
  return {
    id: values.id,
    role,
    username: values.username,
    password: password ?? DEFAULT_PASSWORD,
    studentNumber: values.student_number,
  };
}

/** Signs in through the API and returns the access token. */
export async function loginAs(ctx: TestContext, user: { username: string; password: string }): Promise<string> {
  const res = await ctx.request({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: user.password } });
  if (res.statusCode !== 200) throw new Error(`login failed for ${user.username}: ${res.statusCode} ${res.body}`);
  return res.json().accessToken as string;
}

/** Creates a user of `role` and signs them in. */
export async function userWithToken(ctx: TestContext, role: Role, overrides: Partial<UsersTable> = {}) {
  const user = await buildUser(ctx.db, { role, ...overrides });
  return { user, token: await loginAs(ctx, user) };
}
