/**
 * The machinery of `npm run bench`: real server processes, a fresh database per scenario, direct
 * seeding, tokens, and load generators in child processes. Scenarios live in scenarios.ts.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { defaultPolicy } from '../common/session.schemas.js';
import type { Role, SessionsTable, UsersTable } from '../server/db/database.js';
import { type Db, type DbHandle, openDatabase } from '../server/db/kysely.js';
import { newId } from '../server/lib/ids.js';
import { TokenService } from '../server/modules/auth/tokens.service.js';
import { freePort, startServerProcess, type ServerProcess as BaseServerProcess } from '../scripts/server-process.js';
import serverNodeFlags from '../scripts/server-node-flags.json' with { type: 'json' };

export { freePort };

export const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Where the measured server is built and run from: this checkout, or BENCH_SERVER_ROOT (another
 * checkout with its own dist/, e.g. a `git worktree` of the previous commit, for before/after runs).
 */
export const serverRoot = process.env.BENCH_SERVER_ROOT ? path.resolve(process.env.BENCH_SERVER_ROOT) : benchRoot;

/** A fixed signing secret shared by the bench process and its servers (tokens are signed here). */
export const BENCH_SECRET = 'rollbook-bench-secret-0123456789abcdef';
export const BENCH_ADMIN = { username: 'bench-admin', password: 'bench-admin-password' };
export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** A Redis database of its own (db 13) so the limiter's keys never meet the tests'; pub/sub channels carry fresh ids. */
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';

// ---------------------------------------------------------------------------------------------
// Children: everything started here is killed when the bench exits, however it exits.

const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// Build

function newest(dir: string): number {
  let latest = 0;
  if (!existsSync(dir)) return latest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

const mtime = (file: string) => (existsSync(file) ? statSync(file).mtimeMs : 0);

/** Runs `npm run build:server` when dist/server/main.js is older than server/, common/ or package.json (as scripts/start.mjs does). */
export function ensureServerBuilt(log: (s: string) => void): void {
  const output = path.join(serverRoot, 'dist/server/main.js');
  const sources = Math.max(newest(path.join(serverRoot, 'server')), newest(path.join(serverRoot, 'common')), mtime(path.join(serverRoot, 'package.json')));
  if (mtime(output) >= sources) return;
  log(`building the server (npm run build:server)${serverRoot === benchRoot ? '' : ` in ${serverRoot}`}…`);
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build:server'], { cwd: serverRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('npm run build:server failed; see the messages above');
}

// ---------------------------------------------------------------------------------------------
// Databases

export interface BenchDatabase {
  dialect: 'sqlite' | 'postgres';
  url: string;
  open(): DbHandle;
  drop(): Promise<void>;
}

/** A fresh database: a temp SQLite file, or a new PostgreSQL database `rb_bench_…` dropped afterwards. */
export async function createBenchDatabase(dialect: 'sqlite' | 'postgres'): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-bench-db-'));
    const url = `sqlite:${path.join(dir, 'rollbook.db')}`;
    return { dialect, url, open: () => openDatabase(url), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `rb_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    dialect,
    url,
    open: () => openDatabase(url, { poolSize: 4 }),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Server processes

export interface ServerProcess extends BaseServerProcess {
  /** Resident memory of the server process now (bytes), from /proc. */
  rssBytes(): number;
  /** CPU time the process has used so far (ms, user + system), from /proc. */
  cpuMs(): number;
  /** The same for its main thread alone (the event loop; not the SQLite writer, reader or webhook threads). */
  mainThreadCpuMs(): number;
}

const CLK_TCK = 100;
function procCpuMs(pid: number, thread = false): number {
  try {
    const stat = readFileSync(thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}
/**
 * CPU time (ms) used so far by every process named `comm` (e.g. `postgres`: its backends). On a shared
 * database server this includes other clients' work; it is an approximation.
 */
export function processesCpuMs(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== comm) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

function procRssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface StartServerOptions {
  /** `dist`: the production build (node dist/server/main.js); `source`: server/main.ts through tsx (the test suite). */
  mode: 'dist' | 'source';
  env: Record<string, string>;
  /** Write a V8 CPU profile (.cpuprofile) into this directory when the process exits. */
  cpuProfDir?: string;
}

/** Starts a real server on a free loopback port and waits for /api/health. */
export async function startServer(name: string, options: StartServerOptions): Promise<ServerProcess> {
  const env = {
    SECRET: BENCH_SECRET,
    LOG_LEVEL: 'warn',
    JOBS: '0',
    BENCH_ROUTES: '1',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    PUBLIC_URL: 'http://rollbook.bench',
    ADMIN_USERNAME: BENCH_ADMIN.username,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    // Only correct codes are sent; a shared 127.0.0.1 must never trip the per-IP wrong-code limit.
    CHECKIN_MAX_FAILURES_PER_IP: '1000000',
    ...options.env,
  };
  // The flags `npm start` gives the server (scripts/start.mjs), so the bench measures what runs.
  const nodeArgs = [...serverNodeFlags, ...(options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [])];
  const args = options.mode === 'dist' ? [...nodeArgs, 'dist/server/main.js'] : [...nodeArgs, '--import', 'tsx', 'server/main.ts'];
  const server = await startServerProcess(`bench-${name}`, { args, cwd: options.mode === 'dist' ? serverRoot : benchRoot, env });
  return { ...server, rssBytes: () => procRssBytes(server.pid), cpuMs: () => procCpuMs(server.pid), mainThreadCpuMs: () => procCpuMs(server.pid, true) };
}

// ---------------------------------------------------------------------------------------------
// Seeding: straight into the app's own tables, in chunks, one transaction per batch.

const nowIso = () => new Date().toISOString();

async function insertChunks<T>(db: Db, rows: T[], size: number, insert: (trx: Db, chunk: T[]) => Promise<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += size) await insert(trx, rows.slice(i, i + size));
  });
}

export interface SeededUser {
  id: string;
  role: Role;
  name: string;
  studentNumber: string | null;
}

/** Inserts `count` users of `role` (no password: the bench signs their tokens). */
export async function seedUsers(db: Db, role: Role, count: number, prefix: string): Promise<SeededUser[]> {
  const now = nowIso();
  const tag = randomBytes(3).toString('hex');
  const rows: UsersTable[] = [];
  for (let i = 0; i < count; i++) {
    const n = `${prefix}-${tag}-${i}`;
    rows.push({
      id: newId(),
      role,
      username: n,
      email: null,
      name: `Bench ${role} ${n}`,
      phone: null,
      student_number: role === 'student' ? `B${tag}${i}`.toUpperCase() : null,
      staff_number: null,
      section_id: null,
      active: 1,
      password_hash: null,
      created_at: now,
      updated_at: now,
    });
  }
  await insertChunks(db, rows, 1000, (trx, chunk) => trx.insertInto('users').values(chunk).execute());
  return rows.map((r) => ({ id: r.id, role: r.role, name: r.name, studentNumber: r.student_number }));
}

/** A course taught by `teacherIds` with `studentIds` enrolled. */
export async function seedCourse(db: Db, teacherIds: string[], studentIds: string[]): Promise<{ id: string; code: string }> {
  const now = nowIso();
  const code = `BENCH-${randomBytes(4).toString('hex').toUpperCase()}`;
  const id = newId();
  await db
    .insertInto('courses')
    .values({
      id,
      code,
      name: `Benchmark ${code}`,
      description: null,
      department_id: null,
      term: '2026-S2',
      year_of_study: 1,
      threshold_percent: 75,
      late_after_minutes: 10,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const teachers = teacherIds.map((t) => ({ course_id: id, teacher_id: t, created_at: now }));
  await insertChunks(db, teachers, 2000, (trx, chunk) => trx.insertInto('course_teachers').values(chunk).execute());
  const enrollments = studentIds.map((s) => ({ course_id: id, student_id: s, method: 'import' as const, created_at: now }));
  await insertChunks(db, enrollments, 2000, (trx, chunk) => trx.insertInto('enrollments').values(chunk).execute());
  return { id, code };
}

/** `count` scheduled sessions of the course, one a day backwards from `firstStart` (numbered 1…count oldest first). */
export async function seedSessions(db: Db, courseId: string, count: number, overrides: Partial<SessionsTable> = {}): Promise<SessionsTable[]> {
  const now = nowIso();
  const rows: SessionsTable[] = [];
  const first = Date.now() - 60_000;
  for (let i = 0; i < count; i++) {
    const start = new Date(first - (count - 1 - i) * 86_400_000);
    rows.push({
      id: newId(),
      course_id: courseId,
      kind: 'lecture',
      number: i + 1,
      title: null,
      starts_at: start.toISOString(),
      ends_at: new Date(start.getTime() + 3 * 3600_000).toISOString(),
      venue: 'Main hall',
      state: 'scheduled',
      opened_at: null,
      closed_at: null,
      cancelled_at: null,
      cancelled_reason: null,
      policy: JSON.stringify(defaultPolicy(10)),
      code_secret: null,
      version: 1,
      created_at: now,
      updated_at: now,
      ...overrides,
    });
  }
  await insertChunks(db, rows, 500, (trx, chunk) => trx.insertInto('sessions').values(chunk).execute());
  return rows;
}

/** Access tokens for users, signed with the servers' SECRET by the server's own TokenService. */
export function signTokens(users: { id: string; role: Role }[]): string[] {
  const tokens = new TokenService({ secret: BENCH_SECRET, accessTtlSeconds: 86_400, refreshTtlDays: 1 });
  return users.map((u) => tokens.signAccess(u.id, u.role));
}

// ---------------------------------------------------------------------------------------------
// Child processes: load generators and socket clients (bench/loadgen.ts, bench/ws-clients.ts).

/** A child process run through tsx, spoken to with IPC messages {type, ...}. */
export class Worker {
  readonly child: ChildProcess;
  private readonly inbox: any[] = [];
  private waiters: { type: string; resolve: (m: any) => void; reject: (e: Error) => void }[] = [];
  private exitError: Error | null = null;
  private stderr = '';

  constructor(script: string) {
    this.child = track(
      fork(path.join(benchRoot, 'bench', script), [], {
        cwd: benchRoot,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        serialization: 'advanced',
      }),
    );
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.child.on('message', (m: any) => {
      const i = this.waiters.findIndex((w) => w.type === m.type || m.type === 'error');
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        if (m.type === 'error') w.reject(new Error(`${script}: ${m.message}`));
        else w.resolve(m);
      } else this.inbox.push(m);
    });
    this.child.once('exit', (code) => {
      this.exitError = new Error(`${script} exited (${code}) ${this.stderr}`);
      for (const w of this.waiters.splice(0)) w.reject(this.exitError);
    });
  }

  send(message: unknown): void {
    this.child.send(message as any);
  }

  /** The next message of `type` (an `error` message rejects). */
  next<T = any>(type: string, timeoutMs = 300_000): Promise<T> {
    const i = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
    if (i >= 0) {
      const [m] = this.inbox.splice(i, 1);
      return m.type === 'error' ? Promise.reject(new Error(m.message)) : Promise.resolve(m);
    }
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} from worker within ${timeoutMs} ms ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  async request<T = any>(message: { type: string } & Record<string, unknown>, replyType: string, timeoutMs?: number): Promise<T> {
    const reply = this.next<T>(replyType, timeoutMs);
    this.send(message);
    return reply;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP load (autocannon in a child process)

export interface HttpLoadSpec {
  /** One or more base URLs (connections are spread over them in turn). */
  urls: string[];
  method: 'GET' | 'POST';
  /** Paths used in turn (request i gets paths[i % n]). */
  paths: string[];
  /** Bearer tokens used in turn: request i gets tokens[i % n]; give ≥ amount + connections for distinct ones. */
  tokens: string[];
  /** JSON bodies used in turn (POST). */
  bodies?: string[];
  /** Cookie headers used in turn. */
  cookies?: string[];
  connections: number;
  amount: number;
  /** Per-request timeout (s). */
  timeoutSec?: number;
  /** Hard stop for the whole run (s). */
  maxDurationSec?: number;
  /**
   * Instead of autocannon's closed loop: send request i at start + i × windowMs / amount, each on a
   * new connection (a phone), and time it from when it was due (so a slow server cannot hide its
   * queue). `connections` is then unused.
   */
  paced?: { windowMs: number };
}

export interface CpuUsage {
  userMs: number;
  systemMs: number;
}

export interface HttpLoadResult {
  responses: number;
  durationMs: number;
  status: Record<string, number>;
  errors: number;
  timeouts: number;
  errorSamples: string[];
  /** Every response's latency (ms). */
  latencies: number[];
  /** How many requests were built; more than tokens.length means tokens were reused. */
  built: number;
  cpu: CpuUsage;
  /** Response bodies of the first few non-2xx responses. */
  failureSamples: string[];
  /** 2xx bodies, parsed by `collect` (e.g. record ids), when asked. */
  collected: string[];
}

/**
 * One load-generator process, started on first use and reused (starting node + tsx + autocannon
 * takes most of a second); runs are sequential. `closeLoadGenerator` ends it.
 */
let loadgen: Worker | null = null;
let loadgenReady: Promise<unknown> | null = null;

export async function runHttpLoad(spec: HttpLoadSpec & { collect?: 'recordId' }): Promise<HttpLoadResult> {
  if (!loadgen || loadgen.child.exitCode !== null || loadgen.child.signalCode !== null) {
    loadgen = new Worker('loadgen.ts');
    loadgenReady = loadgen.next('ready', 60_000);
  }
  await loadgenReady;
  const reply = await loadgen.request<{ result: HttpLoadResult }>({ type: 'run', spec }, 'result', ((spec.maxDurationSec ?? 120) + 60) * 1000);
  return reply.result;
}

export async function closeLoadGenerator(): Promise<void> {
  const worker = loadgen;
  loadgen = null;
  loadgenReady = null;
  await worker?.close();
}

// ---------------------------------------------------------------------------------------------
// Statistics

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

export function percentiles(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const s = Float64Array.from(values).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), max: round(s[s.length - 1]) };
}

export { round };

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The load generators' CPU use: ms of CPU and the share of one core over the wall time. */
export function cpuSummary(cpu: CpuUsage, wallMs: number) {
  const total = cpu.userMs + cpu.systemMs;
  return { userMs: Math.round(cpu.userMs), systemMs: Math.round(cpu.systemMs), coreShare: round(total / Math.max(1, wallMs), 2) };
}
