import { ADMIN, type E2EServer } from './harness.js';

/** A tiny REST client for browser tests: sets up data the way another user or device would. */
export interface Rest {
  token: string;
  call<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
}

export async function restAs(server: E2EServer, username: string, password: string): Promise<Rest> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const { accessToken } = (await res.json()) as { accessToken: string };
  return {
    token: accessToken,
    async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json') {
      const r = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${accessToken}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

export const restAsAdmin = (server: E2EServer) => restAs(server, ADMIN.username, ADMIN.password);

export interface CreatedUser {
  id: string;
  username: string;
}

export function createUser(admin: Rest, input: Record<string, unknown>): Promise<CreatedUser> {
  return admin.call<CreatedUser>('POST', '/api/users', input);
}
