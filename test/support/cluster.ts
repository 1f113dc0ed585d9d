import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startServerProcess, type ServerProcess } from '../../scripts/server-process.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { TEST_SECRET } from './test-app.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export { freePort };

export const CLUSTER_ADMIN = { username: 'cluster-admin', password: 'cluster-admin-password' };

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

/** One real server process (`server/main.ts` run by node with tsx's loader, so stop() reaches it). */
export type ServerNode = ServerProcess;

/** Starts `server/main.ts` on a free port with `env` and waits until /api/health answers. */
export function startNode(name: string, env: Record<string, string>, startTimeoutMs = 60_000): Promise<ServerNode> {
  return startServerProcess(`node-${name}`, { args: ['--import', 'tsx', 'server/main.ts'], cwd: projectRoot, env, startTimeoutMs, requestTimeoutMs: 15_000 });
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
