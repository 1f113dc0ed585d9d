import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../server/config.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { TEST_SECRET } from './test-app.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const CLUSTER_ADMIN = { username: 'cluster-admin', password: 'cluster-admin-password' };

/** A free TCP port on 127.0.0.1 (free when asked; good enough for test servers). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A TCP proxy in the test process, so a test can make a shared service (Redis) unreachable for
 * some clients without stopping it: `cut()` drops every connection and refuses new ones until
 * `restore()`.
 */
export interface TcpProxy {
  /** The target URL with host and port replaced by the proxy's. */
  url: string;
  port: number;
  readonly isCut: boolean;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 6379);
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let cut = false;

  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, target.hostname);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  const dropAll = () => {
    for (const { client, upstream } of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    url: url.toString().replace(/\/$/, ''),
    port,
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      dropAll();
    },
    restore() {
      cut = false;
    },
    close: async () => {
      cut = true;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ApiResponse {
  status: number;
  body: any;
}

/** One real server process (`server/main.ts` run by tsx). */
export interface ServerNode {
  name: string;
  port: number;
  baseUrl: string;
  wsUrl: string;
  /** The process's recent output (for failure messages). */
  output(): string;
  request(method: string, urlPath: string, options?: { token?: string; body?: unknown }): Promise<ApiResponse>;
  /** Signs in and returns the access token. */
  login(username: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Environment for a child with none of Rollbook's own variables inherited from this process. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(configSchema.shape)) delete base[key];
  return { ...base, ...env };
}

/**
 * Starts `server/main.ts` on a free port with `env` (plus HOST=127.0.0.1 and a temp DATA_DIR) and
 * waits until /api/health answers. Run by node with tsx's loader (one process, so stop() reaches it).
 */
export async function startNode(name: string, env: Record<string, string>, startTimeoutMs = 60_000): Promise<ServerNode> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `rollbook-node-${name}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: projectRoot,
    env: childEnv({ HOST: '127.0.0.1', DATA_DIR: dataDir, WEB_DIR: path.join(dataDir, 'no-web'), ...env, PORT: String(port) }),
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
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      running.delete(child);
      resolve();
    }),
  );

  const baseUrl = `http://127.0.0.1:${port}`;
  const output = () => `--- node ${name} output ---\n${lines.join('\n')}\n---`;

  const request: ServerNode['request'] = async (method, urlPath, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + urlPath, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(15_000),
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

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`node ${name} exited with ${exited} while starting\n${output()}`);
    try {
      if ((await request('GET', '/api/health')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node ${name} did not answer /api/health within ${startTimeoutMs} ms\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    name,
    port,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/api/ws`,
    output,
    request,
    async login(username, password) {
      const res = await request('POST', '/api/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login as ${username} on node ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
    async stop() {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Cluster {
  nodes: ServerNode[];
  /** Between every node and Redis: `redisProxy.cut()` makes Redis unreachable for the cluster only. */
  redisProxy: TcpProxy;
  database: TestDatabase;
  /** Every node's recent output. */
  output(): string;
  close(): Promise<void>;
}

/**
 * Several server processes sharing one fresh PostgreSQL database and Redis (through a TcpProxy),
 * with the same SECRET and a first admin (CLUSTER_ADMIN).
 */
export async function startCluster(options: { nodes?: number; redisUrl: string; env?: Record<string, string> }): Promise<Cluster> {
  const database = await createTestDatabase('postgres');
  const redisProxy = await startTcpProxy(options.redisUrl);
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: redisProxy.url,
    SECRET: TEST_SECRET,
    ADMIN_USERNAME: CLUSTER_ADMIN.username,
    ADMIN_PASSWORD: CLUSTER_ADMIN.password,
    LOG_LEVEL: 'warn',
    JOBS: '0',
    PUBLIC_URL: 'http://rollbook.test',
    ...options.env,
  };
  const names = 'ABCDEFGH'.slice(0, options.nodes ?? 2).split('');
  const started = await Promise.allSettled(names.map((name) => startNode(name, env)));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const close = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redisProxy.close();
    await database.drop();
  };
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { nodes, redisProxy, database, output: () => nodes.map((n) => n.output()).join('\n'), close };
}
