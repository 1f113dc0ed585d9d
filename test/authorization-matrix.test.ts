import { beforeAll, expect, it } from 'vitest';
import type { Role } from '../server/db/database.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { buildUser, type BuiltUser } from './support/factories.js';

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = ['anonymous', 'student', 'teacher', 'admin'];

interface Signed {
  user: BuiltUser;
  accessToken: string;
  refreshToken: string;
}

interface Fixtures {
  signed: Record<Role, Signed>;
  /** A student the requests may read, edit and deactivate. */
  target: () => Promise<BuiltUser>;
  /** A unique suffix per request, so creations never collide. */
  unique: () => string;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: (f: Fixtures, caller: Caller) => string | Promise<string>;
  payload?: (f: Fixtures, caller: Caller) => unknown;
  contentType?: string;
  /** Spends the caller's refresh token, so each caller signs in afresh for it. */
  freshSignIn?: boolean;
  expected: Record<Caller, number>;
}

const everyone = (status: number) => ({ anonymous: status, student: status, teacher: status, admin: status });
const signedIn = (status: number) => ({ anonymous: 401, student: status, teacher: status, admin: status });
const adminOnly = (status: number) => ({ anonymous: 401, student: 403, teacher: 403, admin: status });

const CSV_HEADER = 'role,username,name,email,studentNumber,staffNumber,section,password';

const CASES: Case[] = [
  { name: 'health', method: 'GET', url: () => '/api/health', expected: everyone(200) },
  { name: 'status', method: 'GET', url: () => '/api/status', expected: everyone(200) },
  {
    name: 'login',
    method: 'POST',
    url: () => '/api/auth/login',
    payload: (f, c) =>
      c === 'anonymous'
        ? { username: 'nobody-here', password: 'wrong-password' }
        : { username: f.signed[c].user.username, password: f.signed[c].user.password },
    expected: { anonymous: 401, student: 200, teacher: 200, admin: 200 },
  },
  {
    name: 'refresh',
    method: 'POST',
    url: () => '/api/auth/refresh',
    payload: (f, c) => (c === 'anonymous' ? {} : { refreshToken: f.signed[c].refreshToken }),
    freshSignIn: true,
    expected: { anonymous: 401, student: 200, teacher: 200, admin: 200 },
  },
  { name: 'me', method: 'GET', url: () => '/api/auth/me', expected: signedIn(200) },
  { name: 'patch me', method: 'PATCH', url: () => '/api/auth/me', payload: () => ({ phone: '555' }), expected: signedIn(200) },
  {
    name: 'change password (wrong current: authorised but refused)',
    method: 'POST',
    url: () => '/api/auth/password',
    payload: () => ({ currentPassword: 'not-the-current-one', newPassword: 'whatever-new-pass' }),
    expected: signedIn(400),
  },
  {
    name: 'signup (off)',
    method: 'POST',
    url: () => '/api/auth/signup',
    payload: (f) => ({ username: `su-${f.unique()}`, password: 'long-enough-pw', name: 'S', email: `${f.unique()}@x.test`, studentNumber: f.unique() }),
    expected: everyone(403),
  },
  { name: 'setup status', method: 'GET', url: () => '/api/setup', expected: everyone(200) },
  {
    name: 'setup (already done)',
    method: 'POST',
    url: () => '/api/setup',
    payload: (f) => ({ token: 'whatever', username: `setup-${f.unique()}`, password: 'long-enough-pw', name: 'Setup' }),
    expected: everyone(409),
  },
  {
    name: 'logout',
    method: 'POST',
    url: () => '/api/auth/logout',
    payload: (f, c) => (c === 'anonymous' ? {} : { refreshToken: f.signed[c].refreshToken }),
    freshSignIn: true,
    expected: signedIn(204),
  },
  { name: 'list users', method: 'GET', url: () => '/api/users', expected: { anonymous: 401, student: 403, teacher: 200, admin: 200 } },
  {
    name: 'list students',
    method: 'GET',
    url: () => '/api/users?role=student',
    expected: { anonymous: 401, student: 403, teacher: 200, admin: 200 },
  },
  { name: 'list teachers', method: 'GET', url: () => '/api/users?role=teacher', expected: adminOnly(200) },
  { name: 'list admins', method: 'GET', url: () => '/api/users?role=admin', expected: adminOnly(200) },
  {
    name: 'create user',
    method: 'POST',
    url: () => '/api/users',
    payload: (f) => ({ role: 'admin', username: `mx-${f.unique()}`, name: 'Matrix User' }),
    expected: adminOnly(201),
  },
  { name: 'get user', method: 'GET', url: async (f) => `/api/users/${(await f.target()).id}`, expected: adminOnly(200) },
  {
    name: 'patch user',
    method: 'PATCH',
    url: async (f) => `/api/users/${(await f.target()).id}`,
    payload: () => ({ role: 'admin' }),
    expected: adminOnly(200),
  },
  { name: 'delete user', method: 'DELETE', url: async (f) => `/api/users/${(await f.target()).id}`, expected: adminOnly(204) },
  {
    name: 'import users',
    method: 'POST',
    url: () => '/api/users/import',
    payload: (f) => `${CSV_HEADER}\nadmin,imx-${f.unique()},Imported,,,,,\n`,
    contentType: 'text/csv',
    expected: adminOnly(200),
  },
];

async function signIn(ctx: TestContext, user: BuiltUser): Promise<Signed> {
  const res = await ctx.request({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: user.password } });
  expect(res.statusCode).toBe(200);
  return { user, accessToken: res.json().accessToken, refreshToken: res.json().refreshToken };
}

describeEachDialect('authorization matrix: auth and users endpoints', (ctx) => {
  let fixtures: Fixtures;

  beforeAll(async () => {
    let n = 0;
    const signed = {} as Record<Role, Signed>;
    for (const role of ['student', 'teacher', 'admin'] as const) signed[role] = await signIn(ctx(), await buildUser(ctx().db, { role }));
    fixtures = {
      signed,
      target: () => buildUser(ctx().db, { role: 'student' }),
      unique: () => `${Date.now().toString(36)}${(n++).toString(36)}`,
    };
  });

  for (const c of CASES) {
    it(`${c.method} ${c.name}`, async () => {
      const got: Partial<Record<Caller, number>> = {};
      for (const caller of CALLERS) {
        let f = fixtures;
        if (caller !== 'anonymous' && c.freshSignIn) {
          f = { ...fixtures, signed: { ...fixtures.signed, [caller]: await signIn(ctx(), fixtures.signed[caller].user) } };
        }
        const who = caller === 'anonymous' ? null : f.signed[caller];
        const payload = c.payload?.(f, caller);
        const res = await ctx().request({
          method: c.method,
          url: await c.url(f, caller),
          token: who?.accessToken,
          ...(payload !== undefined ? { payload: payload as string | object } : {}),
          ...(c.contentType ? { headers: { 'content-type': c.contentType } } : {}),
        });
        got[caller] = res.statusCode;
        if (res.statusCode >= 400) {
          expect(res.headers['content-type'], `${caller}: ${res.body}`).toMatch(/^application\/problem\+json/);
          if (res.statusCode === 401) expect(['unauthenticated', 'invalid_credentials']).toContain(res.json().code);
          if (res.statusCode === 403 && c.expected[caller] === 403 && c.name !== 'signup (off)') expect(res.json().code).toBe('forbidden');
        }
      }
      expect(got).toEqual(c.expected);
    });
  }

  it('a device key opens none of the user endpoints', async () => {
    const userOnly = CASES.filter((c) => c.expected.anonymous === 401 && c.name !== 'login' && c.name !== 'refresh');
    expect(userOnly.length).toBeGreaterThan(10);
    for (const c of userOnly) {
      const payload = c.payload?.(fixtures, 'admin');
      const res = await ctx().request({
        method: c.method,
        url: await c.url(fixtures, 'admin'),
        token: 'rbd_0123456789abcdefghijklmnopqrstuv',
        ...(payload !== undefined ? { payload: payload as string | object } : {}),
        ...(c.contentType ? { headers: { 'content-type': c.contentType } } : {}),
      });
      expect(res.statusCode, `${c.name}: ${res.body}`).toBe(401);
      expect(res.json().code).toBe('unauthenticated');
    }
  });
});
