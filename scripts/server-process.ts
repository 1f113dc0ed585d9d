// Starts real Rollbook server processes on loopback ports: the multi-node tests and `npm run bench`
// both run the server this way.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configSchema } from '../server/config.js';

/** A free TCP port on 127.0.0.1 (free when asked; good enough for local servers). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface ApiResponse {
  status: number;
  body: any;
}

export interface ServerProcess {
  name: string;
  pid: number;
  port: number;
  baseUrl: string;
  wsUrl: string;
  /** The process's recent output (for failure messages). */
  output(): string;
  request(method: string, urlPath: string, options?: { token?: string; body?: unknown }): Promise<ApiResponse>;
  /** Signs in and returns the access token. */
  login(username: string, password: string): Promise<string>;
  /** SIGTERM (graceful shutdown), SIGKILL if it does not exit in time; removes its data directory. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Node arguments: the entry point and any flags (e.g. `['--import', 'tsx', 'server/main.ts']`). */
  args: string[];
  cwd: string;
  /** Rollbook settings for the process; none are inherited from this process's environment. */
  env: Record<string, string>;
  startTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a server on a free loopback port (HOST=127.0.0.1, a temp DATA_DIR, no web build) and waits
 * until /api/health answers.
 */
export async function startServerProcess(name: string, options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `rollbook-${name}-`));
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(configSchema.shape)) delete base[key];
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: { ...base, HOST: '127.0.0.1', DATA_DIR: dataDir, WEB_DIR: path.join(dataDir, 'no-web'), ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 300) lines.splice(0, lines.length - 300);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      running.delete(child);
      resolve();
    }),
  );

  const baseUrl = `http://127.0.0.1:${port}`;
  const output = () => `--- server ${name} (pid ${child.pid}) ---\n${lines.join('\n')}\n---`;
  const request: ServerProcess['request'] = async (method, urlPath, opts = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + urlPath, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
  };

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`server ${name} exited with ${exitCode} while starting\n${output()}`);
    try {
      if ((await request('GET', '/api/health')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server ${name} did not answer /api/health within ${startTimeoutMs} ms\n${output()}`);
    }
    await sleep(100);
  }

  return {
    name,
    pid: child.pid!,
    port,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/api/ws`,
    output,
    request,
    async login(username, password) {
      const res = await request('POST', '/api/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login as ${username} on ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
    async stop() {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
