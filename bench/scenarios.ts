/**
 * The scenarios of `npm run bench` (DESIGN.md "Performance and reliability"). Each one starts its
 * own server process(es) on a fresh database, seeds, warms up, measures the baseline (a bare
 * authenticated JSON route on the same server) and then its own load, verifies that nothing was
 * lost or duplicated, and returns one result line.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Insertable, sql } from 'kysely';
import { defaultPolicy } from '../common/session.schemas.js';
import { newId, nowIso } from '../server/lib/ids.js';
import type { AttendanceRecordsTable, CoursesTable, SessionsTable } from '../server/db/database.js';
import type { Db } from '../server/db/kysely.js';
import {
  BENCH_ADMIN,
  type BenchDatabase,
  type HttpLoadResult,
  type HttpLoadSpec,
  type ServerProcess,
  Worker,
  closeLoadGenerator,
  cpuSummary,
  createBenchDatabase,
  percentiles,
  processesCpuMs,
  REDIS_URL,
  round,
  runHttpLoad,
  seedCourse,
  seedSessions,
  seedUsers,
  signTokens,
  sleep,
  startServer,
} from './harness.js';

export interface Sizes {
  /** checkin-throughput(-pg): requests, concurrent clients, students per open session. */
  checkin: { requests: number; connections: number; perSession: number; rounds: number };
  /**
   * lecture-burst and two-node: students checking in at once, and how many times the bare route's
   * burst and the check-ins' burst alternate (the figures are the median round's).
   */
  burst: { students: number; rounds: number };
  /** sockets: idle sockets, spread over this many client processes. */
  sockets: { sockets: number; workers: number };
  /** report: a course of students × sessions; requests per endpoint. */
  report: { students: number; sessions: number; requests: number };
  /** open-sessions: check-ins per phase, open sessions in the large phase, phase pairs. */
  openSessions: { requests: number; many: number; rounds: number };
  /** device-scan: requests per kind (code check-ins, new scans, repeated scans) per dialect. */
  deviceScan: { requests: number };
  /** warm-up requests before measuring. */
  warm: number;
}

export const SIZES: Record<'full' | 'quick' | 'tiny', Sizes> = {
  full: {
    checkin: { requests: 20_000, connections: 50, perSession: 1000, rounds: 4 },
    burst: { students: 1000, rounds: 3 },
    sockets: { sockets: 10_000, workers: 2 },
    report: { students: 500, sessions: 60, requests: 1000 },
    openSessions: { requests: 4000, many: 5000, rounds: 2 },
    deviceScan: { requests: 4000 },
    warm: 3000,
  },
  quick: {
    checkin: { requests: 1500, connections: 50, perSession: 500, rounds: 2 },
    burst: { students: 200, rounds: 1 },
    sockets: { sockets: 1000, workers: 2 },
    report: { students: 100, sessions: 10, requests: 100 },
    openSessions: { requests: 1000, many: 5000, rounds: 1 },
    deviceScan: { requests: 1000 },
    warm: 200,
  },
  tiny: {
    checkin: { requests: 50, connections: 5, perSession: 25, rounds: 2 },
    burst: { students: 20, rounds: 2 },
    sockets: { sockets: 20, workers: 2 },
    report: { students: 10, sessions: 3, requests: 20 },
    openSessions: { requests: 30, many: 200, rounds: 1 },
    deviceScan: { requests: 30 },
    warm: 20,
  },
};

export interface BenchContext {
  sizes: Sizes;
  /** `dist` (npm run bench) or `source` (the test suite: no build needed). */
  mode: 'dist' | 'source';
  log: (message: string) => void;
  /** Start the (first) server with --cpu-prof, writing here. */
  cpuProfDir?: string;
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ScenarioResult {
  scenario: string;
  date: string;
  requests: number;
  rps: number;
  latency: Latency;
  errors: number;
  baseline: { rps: number; p99: number };
  /** rps / baseline.rps (null where throughput is not the point). */
  ratio: number | null;
  loadgenCpu: { userMs: number; systemMs: number; coreShare: number };
  serverCpu?: { ms: number; coreShare: number };
  correctness: Record<string, unknown>;
  /** Nothing lost, duplicated or failed. */
  ok: boolean;
  target: { goal: string; met: boolean };
  [extra: string]: unknown;
}

export type ScenarioName =
  | 'checkin-throughput'
  | 'checkin-throughput-webhook'
  | 'checkin-throughput-pg'
  | 'lecture-burst'
  | 'sockets'
  | 'report'
  | 'two-node'
  | 'open-sessions'
  | 'device-scan';
export const SCENARIOS: ScenarioName[] = [
  'checkin-throughput',
  'checkin-throughput-webhook',
  'checkin-throughput-pg',
  'lecture-burst',
  'sockets',
  'report',
  'two-node',
  'open-sessions',
  'device-scan',
];

export function runScenario(name: ScenarioName, ctx: BenchContext): Promise<ScenarioResult> {
  switch (name) {
    case 'checkin-throughput':
      return checkinThroughput(ctx, 'sqlite');
    case 'checkin-throughput-webhook':
      return checkinThroughput(ctx, 'sqlite', { webhook: true });
    case 'checkin-throughput-pg':
      return checkinThroughput(ctx, 'postgres');
    case 'lecture-burst':
      return lectureBurst(ctx, 'single');
    case 'two-node':
      return lectureBurst(ctx, 'two-node');
    case 'sockets':
      return sockets(ctx);
    case 'report':
      return report(ctx);
    case 'open-sessions':
      return openSessionsScale(ctx);
    case 'device-scan':
      return deviceScan(ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/** Runs `body` with a fresh database and servers, always cleaning up. */
async function withStack<T>(
  ctx: BenchContext,
  dialect: 'sqlite' | 'postgres',
  nodes: number,
  body: (s: { db: Db; database: BenchDatabase; servers: ServerProcess[] }) => Promise<T>,
  extraEnv: Record<string, string> = {},
): Promise<T> {
  const database = await createBenchDatabase(dialect);
  const servers: ServerProcess[] = [];
  let handle: ReturnType<BenchDatabase['open']> | null = null;
  try {
    const env: Record<string, string> = { ...extraEnv, DATABASE_URL: database.url };
    if (nodes > 1) env.REDIS_URL = REDIS_URL;
    // The first node migrates; the others start after it.
    for (let i = 0; i < nodes; i++) {
      servers.push(await startServer('AB'[i] ?? `N${i}`, { mode: ctx.mode, env, cpuProfDir: i === 0 ? ctx.cpuProfDir : undefined }));
    }
    handle = database.open();
    return await body({ db: handle.db, database, servers });
  } finally {
    await closeLoadGenerator();
    await handle?.db.destroy().catch(() => undefined);
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await database.drop().catch((err: unknown) => ctx.log(`could not drop the bench database: ${String(err)}`));
  }
}

/** Opens a session through the API and returns its typed code. */
async function openSession(server: ServerProcess, teacherToken: string, sessionId: string): Promise<string> {
  const opened = await server.request('POST', `/api/sessions/${sessionId}/open`, { token: teacherToken, body: {} });
  if (opened.status !== 200) throw new Error(`open session: ${opened.status} ${JSON.stringify(opened.body)}`);
  const code = await server.request('GET', `/api/sessions/${sessionId}/code`, { token: teacherToken });
  if (code.status !== 200) throw new Error(`session code: ${code.status} ${JSON.stringify(code.body)}`);
  return code.body.code as string;
}

function loadFigures(r: HttpLoadResult) {
  const rps = r.durationMs > 0 ? (r.responses * 1000) / r.durationMs : 0;
  return { requests: r.responses, rps: round(rps, 0), latency: percentiles(r.latencies) };
}

function nonExpected(r: HttpLoadResult, expected: number[]): number {
  let n = r.errors;
  for (const [code, count] of Object.entries(r.status)) if (!expected.includes(Number(code))) n += count;
  return n;
}

/** Server CPU (ms) per request while `fn` runs its load. */
async function serverCpuDuring<T extends { responses: number }>(
  servers: ServerProcess[],
  fn: () => Promise<T>,
): Promise<{ result: T; msPerRequest: number; ms: number; mainThreadMs: number }> {
  const before = servers.map((s) => s.cpuMs());
  const mainBefore = servers.map((s) => s.mainThreadCpuMs());
  const result = await fn();
  const ms = servers.reduce((sum, s, i) => sum + (s.cpuMs() - before[i]), 0);
  const mainThreadMs = servers.reduce((sum, s, i) => sum + (s.mainThreadCpuMs() - mainBefore[i]), 0);
  return { result, ms, mainThreadMs, msPerRequest: round(ms / Math.max(1, result.responses), 3) };
}

/**
 * The server's own counters from /metrics: statements it sent to the database (on PostgreSQL each a
 * round trip: `rollbook_db_statements_total`) and records created by check-ins (`rollbook_checkins_total`,
 * every method), so a figure per request can be checked against the responses of the same window.
 */
async function serverCounters(server: ServerProcess): Promise<{ statements: number; checkins: number; groupCommits: number; groupUnits: number }> {
  const res = await fetch(`${server.baseUrl}/metrics`);
  if (!res.ok) throw new Error(`/metrics: ${res.status}`);
  const text = await res.text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      .reduce((t, line) => t + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    statements: sum('rollbook_db_statements_total'),
    checkins: sum('rollbook_checkins_total'),
    groupCommits: sum('rollbook_commit_group_transactions_total'),
    groupUnits: sum('rollbook_commit_group_units_total'),
  };
}

/** Server counters over `fn`: statements per response, and check-ins the server counted in that window. */
async function countersDuring<T extends { responses: number }>(server: ServerProcess, fn: () => Promise<T>) {
  const before = await serverCounters(server);
  const result = await fn();
  const after = await serverCounters(server);
  return {
    result,
    statements: after.statements - before.statements,
    checkins: after.checkins - before.checkins,
    groupCommits: after.groupCommits - before.groupCommits,
    groupUnits: after.groupUnits - before.groupUnits,
  };
}

/** The baseline: POST /api/bench/ping (JWT verification only) with the same shape as the measured load. */
async function baseline(spec: Omit<HttpLoadSpec, 'method' | 'paths'>, servers: ServerProcess[] = []) {
  const { result: r, msPerRequest } = await serverCpuDuring(servers, () => runHttpLoad({ ...spec, method: 'POST', paths: ['/api/bench/ping'] }));
  const f = loadFigures(r);
  const bad = nonExpected(r, [200]);
  if (bad > 0) throw new Error(`baseline failed: ${JSON.stringify(r.status)} ${r.errorSamples.join('; ')} ${r.failureSamples.join('; ')}`);
  return { rps: f.rps, p99: f.latency.p99, latency: f.latency, serverCpuMsPerRequest: servers.length ? msPerRequest : undefined };
}

interface Classroom {
  teacherToken: string;
  sessionIds: string[];
  /** Students of session i: students[i]. */
  students: { id: string; role: 'student' }[][];
  courseIds: string[];
}

/** `sessions` courses of `perSession` students each (one teacher), one scheduled session each. */
async function seedClassrooms(db: Db, sessions: number, perSession: number, teachers = 1): Promise<Classroom & { teacherIds: string[] }> {
  const teacherUsers = await seedUsers(db, 'teacher', teachers, 't');
  const all = await seedUsers(db, 'student', sessions * perSession, 's');
  const out: Classroom & { teacherIds: string[] } = {
    teacherToken: signTokens([teacherUsers[0]])[0],
    teacherIds: teacherUsers.map((t) => t.id),
    sessionIds: [],
    students: [],
    courseIds: [],
  };
  for (let i = 0; i < sessions; i++) {
    const students = all.slice(i * perSession, (i + 1) * perSession) as { id: string; role: 'student' }[];
    const course = await seedCourse(
      db,
      teacherUsers.map((t) => t.id),
      students.map((s) => s.id),
    );
    const [session] = await seedSessions(db, course.id, 1);
    out.sessionIds.push(session.id);
    out.students.push(students);
    out.courseIds.push(course.id);
  }
  return out;
}

/**
 * Check-in requests interleaved over the sessions: request i is a distinct student of session i % n,
 * with its code, from the student's own phone (its `rb_bid` browser cookie, as a returning phone
 * sends: the server then looks for other students' check-ins from that browser).
 */
function checkinRequests(room: Classroom, codes: string[], withSessionId: boolean) {
  const tokens: string[] = [];
  const bodies: string[] = [];
  const cookies: string[] = [];
  const n = room.sessionIds.length;
  const per = room.students[0].length;
  const signed = room.students.map((list) => signTokens(list));
  for (let k = 0; k < per; k++) {
    for (let s = 0; s < n; s++) {
      tokens.push(signed[s][k]);
      bodies.push(JSON.stringify(withSessionId ? { code: codes[s], sessionId: room.sessionIds[s] } : { code: codes[s] }));
      cookies.push(`rb_bid=${randomBytes(18).toString('base64url')}`);
    }
  }
  return { tokens, bodies, cookies };
}

async function countRows(db: Db, sessionIds: string[]) {
  const records = await db
    .selectFrom('attendance_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_id', 'in', sessionIds)
    .executeTakeFirstOrThrow();
  const audits = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_id', 'in', sessionIds)
    .where('action', '=', 'record.checked_in')
    .executeTakeFirstOrThrow();
  const dup = await db
    .selectFrom('attendance_records')
    .select(['session_id', 'student_id'])
    .where('session_id', 'in', sessionIds)
    .groupBy(['session_id', 'student_id'])
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  return { rows: Number(records.n), audits: Number(audits.n), duplicateRows: dup.length };
}

async function recordIdsIn(db: Db, sessionIds: string[]): Promise<Set<string>> {
  const rows = await db.selectFrom('attendance_records').select('id').where('session_id', 'in', sessionIds).execute();
  return new Set(rows.map((r) => r.id));
}

/** Warm-up: pings (not when profiling: the profile is of check-ins) and real check-ins into a session nobody measures. */
async function warmUp(ctx: BenchContext, db: Db, servers: ServerProcess[], connections: number) {
  const n = ctx.sizes.warm;
  const room = await seedClassrooms(db, 1, n + connections * 2);
  const codes = [await openSession(servers[0], room.teacherToken, room.sessionIds[0])];
  const reqs = checkinRequests(room, codes, false);
  const urls = servers.map((s) => s.baseUrl);
  if (!ctx.cpuProfDir) await runHttpLoad({ urls, method: 'POST', paths: ['/api/bench/ping'], ...reqs, connections, amount: n });
  await runHttpLoad({ urls, method: 'POST', paths: ['/api/checkin'], ...reqs, connections, amount: n });
}

// ---------------------------------------------------------------------------------------------
// checkin-throughput (SQLite) and checkin-throughput-pg

/**
 * A webhook endpoint in the bench process: answers 204 at once and counts distinct event ids, so the
 * webhook variant can check that every check-in's event arrived.
 */
async function startBenchReceiver() {
  const ids = new Set<string>();
  /** Record events by the record's session: event id → times received. */
  const bySession = new Map<string, Map<string, number>>();
  let requests = 0;
  /** Distinct record events received of the watched sessions, and who waits for a count of them. */
  let watched = new Set<string>();
  let distinctRecordEvents = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    requests++;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') ids.add(id);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      const sessionId = (JSON.parse(Buffer.concat(chunks).toString()) as { data?: { record?: { sessionId?: string } } }).data?.record?.sessionId;
      if (typeof id !== 'string' || !sessionId) return;
      const seen = bySession.get(sessionId) ?? new Map<string, number>();
      const times = seen.get(id) ?? 0;
      seen.set(id, times + 1);
      bySession.set(sessionId, seen);
      if (times > 0 || !watched.has(sessionId)) return;
      distinctRecordEvents++;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (distinctRecordEvents >= waiters[i].n) waiters.splice(i, 1)[0].resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    ids,
    /** Distinct record events of these sessions received, and how many arrived more than once. */
    recordEvents(sessionIds: string[]) {
      let distinct = 0;
      let repeated = 0;
      for (const sid of sessionIds) for (const times of bySession.get(sid)?.values() ?? []) {
        distinct++;
        if (times > 1) repeated++;
      }
      return { distinct, repeated };
    },
    get requests() {
      return requests;
    },
    /** Counts the record events of these sessions from now on (whenRecordEvents). */
    watch(sessionIds: string[]) {
      watched = new Set(sessionIds);
      distinctRecordEvents = 0;
    },
    /** Resolves once `n` distinct record events of the watched sessions have arrived (false after `timeoutMs`). */
    whenRecordEvents(n: number, timeoutMs: number): Promise<boolean> {
      if (distinctRecordEvents >= n) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          resolve(false);
        }, timeoutMs);
        const waiter = {
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(true);
          },
        };
        waiters.push(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function checkinThroughput(ctx: BenchContext, dialect: 'sqlite' | 'postgres', variant: { webhook?: boolean } = {}): Promise<ScenarioResult> {
  const scenario = dialect === 'postgres' ? 'checkin-throughput-pg' : variant.webhook ? 'checkin-throughput-webhook' : 'checkin-throughput';
  const receiver = variant.webhook ? await startBenchReceiver() : null;
  try {
    return await checkinThroughputOn(ctx, dialect, scenario, receiver);
  } finally {
    await receiver?.close();
  }
}

async function checkinThroughputOn(
  ctx: BenchContext,
  dialect: 'sqlite' | 'postgres',
  scenario: string,
  receiver: Awaited<ReturnType<typeof startBenchReceiver>> | null,
): Promise<ScenarioResult> {
  const { requests, connections, perSession } = ctx.sizes.checkin;
  // Baseline and check-ins alternate in rounds, so that both see the same machine (other work on
  // a shared 2-core box comes and goes); each round's check-ins are fresh students.
  const rounds = Math.max(1, Math.min(ctx.sizes.checkin.rounds, Math.floor(requests / (connections * 4))));
  const perRound = Math.ceil(requests / rounds);
  const stride = perRound + connections * 2;
  return withStack(ctx, dialect, 1, async ({ db, servers }) => {
    const [server] = servers;
    const sessions = Math.max(1, Math.ceil((stride * rounds) / perSession));
    ctx.log(`${scenario}: seeding ${sessions} sessions × ${perSession} students`);
    const room = await seedClassrooms(db, sessions, perSession);
    if (receiver) {
      // One endpoint subscribed to every event: each check-in also writes an outbox event and a delivery.
      const admin = await server.login(BENCH_ADMIN.username, BENCH_ADMIN.password);
      const hook = await server.request('POST', '/api/webhooks', { token: admin, body: { url: receiver.url, events: ['*'] } });
      if (hook.status !== 201) throw new Error(`add webhook: ${hook.status} ${JSON.stringify(hook.body)}`);
    }
    await warmUp(ctx, db, servers, connections);
    const codes: string[] = [];
    for (const id of room.sessionIds) codes.push(await openSession(server, room.teacherToken, id));
    // The typed code alone: the server finds the session among every open one (the phone's usual request).
    const reqs = checkinRequests(room, codes, false);
    receiver?.watch(room.sessionIds);

    const pings: HttpLoadResult[] = [];
    const loads: HttpLoadResult[] = [];
    let xacts = 0;
    let statements = 0;
    let groupCommits = 0;
    let groupUnits = 0;
    let serverCheckins = 0;
    let pingCpuMs = 0;
    let pingMainMs = 0;
    let serverMs = 0;
    let serverMainMs = 0;
    let databaseMs = 0;
    let done = 0;
    /** Webhook variant: check-ins acknowledged so far, and each round's wait for its last event after its last answer. */
    let delivered = 0;
    const drains: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const amount = Math.min(perRound, requests - done);
      const part = <T>(list: T[]) => list.slice(r * stride, (r + 1) * stride);
      const slice = { tokens: part(reqs.tokens), bodies: part(reqs.bodies), cookies: part(reqs.cookies) };
      // Under --profile the baseline is skipped so that the profile shows check-ins only.
      if (!ctx.cpuProfDir) {
        ctx.log(`${scenario}: round ${r + 1}/${rounds}: baseline, ${amount} pings`);
        const p = await serverCpuDuring(servers, () =>
          runHttpLoad({ urls: [server.baseUrl], method: 'POST', paths: ['/api/bench/ping'], ...slice, connections, amount }),
        );
        pings.push(p.result);
        pingCpuMs += p.ms;
        pingMainMs += p.mainThreadMs;
      }
      ctx.log(`${scenario}: round ${r + 1}/${rounds}: ${amount} check-ins, ${connections} clients`);
      const pg0 = dialect === 'postgres' ? processesCpuMs('postgres') : 0;
      const x0 = dialect === 'postgres' ? await committedTransactions(db) : 0;
      const counted = await countersDuring(server, () =>
        serverCpuDuring(servers, async () => {
          const result = await runHttpLoad({ urls: [server.baseUrl], method: 'POST', paths: ['/api/checkin'], ...slice, connections, amount, collect: 'recordId' });
          if (!receiver) return result;
          // Webhook variant: the round lasts until its last check-in's event has reached the
          // receiver, so a sender that falls behind shows in the throughput (and its backlog is not
          // sent during the next baseline round, which would make the bare route look slower).
          const acknowledged = (delivered += result.status['201'] ?? 0);
          const drainStarted = Date.now();
          await receiver.whenRecordEvents(acknowledged, 120_000);
          const drainMs = Date.now() - drainStarted;
          drains.push(drainMs);
          return { ...result, durationMs: result.durationMs + drainMs };
        }).then((c) => ({ ...c, responses: c.result.responses })),
      );
      const c = counted.result;
      statements += counted.statements;
      groupCommits += counted.groupCommits;
      groupUnits += counted.groupUnits;
      serverCheckins += counted.checkins;
      loads.push(c.result);
      serverMs += c.ms;
      serverMainMs += c.mainThreadMs;
      if (dialect === 'postgres') {
        databaseMs += processesCpuMs('postgres') - pg0;
        xacts += (await committedTransactions(db)) - x0;
      }
      done += amount;
    }
    const load = mergeLoads(loads);
    // Webhook variant: every acknowledged check-in's event reaches the receiver; how long after the load.
    let webhook: Record<string, unknown> | null = null;
    if (receiver) {
      const expected = load.status['201'] ?? 0;
      const drainStarted = Date.now();
      while (receiver.recordEvents(room.sessionIds).distinct < expected && Date.now() - drainStarted < 120_000) await sleep(100);
      const got = receiver.recordEvents(room.sessionIds);
      const recordEvents = await db
        .selectFrom('outbox_events')
        .innerJoin('attendance_records', 'attendance_records.id', 'outbox_events.record_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('attendance_records.session_id', 'in', room.sessionIds)
        .executeTakeFirstOrThrow();
      webhook = {
        recordEventsInOutbox: Number(recordEvents.n),
        receivedRecordEvents: got.distinct,
        receivedMoreThanOnce: got.repeated,
        drainedMsAfterLoad: Date.now() - drainStarted,
        roundsLastEventAfterLastAnswerMs: drains,
      };
    }
    const ping = pings.length ? mergeLoads(pings) : null;
    if (ping && nonExpected(ping, [200]) > 0) throw new Error(`baseline failed: ${JSON.stringify(ping.status)} ${ping.failureSamples.join('; ')}`);
    const f = loadFigures(load);
    const base = ping ? loadFigures(ping) : { rps: Number.NaN, latency: { p99: Number.NaN } };
    const created = load.status['201'] ?? 0;
    const rows = await countRows(db, room.sessionIds);
    const inDb = await recordIdsIn(db, room.sessionIds);
    const acknowledgedMissing = load.collected.filter((id) => !inDb.has(id)).length;
    const distinctAcks = new Set(load.collected).size;
    const tokensReused = loads.some((l) => l.built > stride);
    const errors = nonExpected(load, [201]);
    const correctness = {
      responses201: created,
      // The server's own count of check-ins in the measured windows: it must equal the 201s, which
      // shows that the statement count below covers exactly these check-ins.
      serverCountedCheckins: serverCheckins,
      rowsInDb: rows.rows,
      auditEvents: rows.audits,
      duplicateRows: rows.duplicateRows,
      distinctRecordIdsAcknowledged: distinctAcks,
      acknowledgedMissingFromDb: acknowledgedMissing,
      distinctStudents: !tokensReused,
      status: load.status,
      ...(load.failureSamples.length ? { failureSamples: load.failureSamples } : {}),
      ...(load.errorSamples.length ? { errorSamples: load.errorSamples } : {}),
      ...(webhook ? { webhook } : {}),
    };
    const webhookOk = !webhook || (webhook.recordEventsInOutbox === created && webhook.receivedRecordEvents === created);
    const ok =
      webhookOk &&
      errors === 0 &&
      created === requests &&
      rows.rows === created &&
      rows.audits === created &&
      rows.duplicateRows === 0 &&
      distinctAcks === created &&
      acknowledgedMissing === 0 &&
      serverCheckins === created &&
      !tokensReused;
    const ratio = round(f.rps / base.rps, 3);
    const msPerCheckin = round(serverMs / Math.max(1, load.responses), 3);
    const msPerPing = ping ? round(pingCpuMs / Math.max(1, ping.responses), 3) : null;
    return {
      scenario,
      date: new Date().toISOString(),
      ...f,
      errors,
      baseline: { rps: base.rps, p99: base.latency.p99 },
      ratio,
      loadgenCpu: cpuSummary(load.cpu, load.durationMs),
      serverCpu: {
        ms: Math.round(serverMs),
        coreShare: round(serverMs / load.durationMs, 2),
        msPerRequest: msPerCheckin,
        baselineMsPerRequest: msPerPing,
        // The main thread's share (the event loop, which bounds throughput; SQLite's writer thread and the others are not in it).
        mainThreadMsPerRequest: round(serverMainMs / Math.max(1, load.responses), 3),
        baselineMainThreadMsPerRequest: ping ? round(pingMainMs / Math.max(1, ping.responses), 3) : null,
        /** Baseline CPU per request ÷ check-in CPU per request: the rps ratio a server-bound run would show. */
        cpuRatio: msPerPing ? round(msPerPing / msPerCheckin, 3) : null,
        // Statements the server sent to the database per check-in (its own count; on PostgreSQL round trips).
        statementsPerRequest: round(statements / Math.max(1, load.responses), 2),
        // Check-ins per transaction of the group commit (1: every check-in committed alone).
        checkinsPerCommit: round(groupUnits / Math.max(1, groupCommits), 2),
        ...(dialect === 'postgres'
          ? {
              postgresMsPerRequest: round(databaseMs / Math.max(1, load.responses), 3),
              postgresNote: 'all postgres processes on the machine (approximate)',
              // Every statement outside a transaction is a commit of its own, and so is each transaction.
              commitsPerRequest: round(xacts / Math.max(1, load.responses), 2),
            }
          : {}),
      },
      correctness,
      ok,
      target: receiver
        ? { goal: '≥ 55% of baseline rps with one webhook on every event (a round lasts until its last event is delivered); 0 errors; rows in DB = successes; every event delivered', met: ok && ratio >= 0.55 }
        : dialect === 'postgres'
          ? { goal: '≥ 40% of baseline rps; 0 errors; rows in DB = successes', met: ok && ratio >= 0.4 }
          : { goal: '≥ 50% of baseline rps; 0 errors; rows in DB = successes', met: ok && ratio >= 0.5 },
      perRound: loads.map((l, i) => ({ pingRps: pings[i] ? loadFigures(pings[i]).rps : null, checkinRps: loadFigures(l).rps })),
      setup: {
        dialect,
        connections,
        rounds,
        sessions,
        perSession,
        body: 'typed code only (server matches it among all open sessions)',
        cookie: 'each phone its own rb_bid browser id',
        ...(receiver ? { webhook: 'one endpoint, events ["*"], a receiver in the bench process answering 204' } : {}),
      },
    };
  }, receiver ? { JOBS: '1' } : {});
}

/**
 * PostgreSQL's count of committed transactions in the bench database (its statistics are flushed
 * by each backend within a second, so this waits that long first).
 */
async function committedTransactions(db: Db): Promise<number> {
  await sleep(1200);
  const r = await sql<{ n: number }>`select xact_commit::int as n from pg_stat_database where datname = current_database()`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** One result from several runs of the same load (rounds). */
function mergeLoads(list: HttpLoadResult[]): HttpLoadResult {
  const status: Record<string, number> = {};
  for (const l of list) for (const [k, v] of Object.entries(l.status)) status[k] = (status[k] ?? 0) + v;
  return {
    responses: list.reduce((s, l) => s + l.responses, 0),
    durationMs: list.reduce((s, l) => s + l.durationMs, 0),
    status,
    errors: list.reduce((s, l) => s + l.errors, 0),
    timeouts: list.reduce((s, l) => s + l.timeouts, 0),
    errorSamples: list.flatMap((l) => l.errorSamples).slice(0, 5),
    latencies: list.flatMap((l) => l.latencies),
    built: list.reduce((s, l) => s + l.built, 0),
    cpu: { userMs: list.reduce((s, l) => s + l.cpu.userMs, 0), systemMs: list.reduce((s, l) => s + l.cpu.systemMs, 0) },
    failureSamples: list.flatMap((l) => l.failureSamples).slice(0, 5),
    collected: list.flatMap((l) => l.collected),
  };
}

// ---------------------------------------------------------------------------------------------
// lecture-burst (one node, SQLite) and two-node (PostgreSQL + Redis, students split, teacher on B)

interface BurstOutcome {
  figures: ReturnType<typeof loadFigures>;
  load: HttpLoadResult;
  fanout: Latency & { events: number };
  serverMs: number;
  /** Check-ins per transaction of the group commit, over every node. */
  checkinsPerCommit: number;
  errors: number;
  ok: boolean;
  correctness: Record<string, unknown>;
}

/** The group commit's transactions and check-ins so far, summed over the nodes. */
async function groupCounts(servers: ServerProcess[]): Promise<{ commits: number; units: number }> {
  const all = await Promise.all(servers.map(serverCounters));
  return { commits: all.reduce((t, c) => t + c.groupCommits, 0), units: all.reduce((t, c) => t + c.groupUnits, 0) };
}

/**
 * n students of one session check in (all at once, or spread over `paced.windowMs`) while a
 * teacher's socket on the last node watches the session; then everything is counted.
 */
async function burst(
  db: Db,
  servers: ServerProcess[],
  room: Classroom,
  index: number,
  n: number,
  paced?: { windowMs: number },
): Promise<BurstOutcome> {
  const urls = servers.map((s) => s.baseUrl);
  const code = await openSession(servers[0], room.teacherToken, room.sessionIds[index]);
  const teacher = new Worker('ws-clients.ts');
  try {
    await teacher.next('ready', 60_000);
    const topic = `session:${room.sessionIds[index]}`;
    const opened = await teacher.request<{ opened: number; errors: string[] }>(
      { type: 'open', spec: { wsUrl: servers[servers.length - 1].wsUrl, tokens: [room.teacherToken], topic, concurrency: 1, timeoutMs: 15_000 } },
      'opened',
    );
    if (opened.opened !== 1) throw new Error(`teacher socket: ${opened.errors.join('; ')}`);
    // Each student is a connection of its own that sends one request (phones pressing "check in").
    const reqs = checkinRequests({ ...room, sessionIds: [room.sessionIds[index]], students: [room.students[index]] }, [code], true);
    const received = teacher.request<any>({ type: 'expect', event: 'CHECKIN', count: n, timeoutMs: 60_000 }, 'received', 120_000);
    const groupsBefore = await groupCounts(servers);
    const { result: load, ms: serverMs } = await serverCpuDuring(servers, () =>
      runHttpLoad({ urls, method: 'POST', paths: ['/api/checkin'], ...reqs, connections: n, amount: n, collect: 'recordId', paced }),
    );
    const groupsAfter = await groupCounts(servers);
    const checkinsPerCommit = round((groupsAfter.units - groupsBefore.units) / Math.max(1, groupsAfter.commits - groupsBefore.commits), 2);
    const got = await received;
    const rows = await countRows(db, [room.sessionIds[index]]);
    const inDb = await recordIdsIn(db, [room.sessionIds[index]]);
    const seen: string[] = got.recordIds ?? [];
    const seenSet = new Set(seen);
    const notInDb = seen.filter((id) => !inDb.has(id)).length;
    const ackNotDelivered = load.collected.filter((id) => !seenSet.has(id)).length;
    const created = load.status['201'] ?? 0;
    const errors = nonExpected(load, [201]);
    const ok =
      errors === 0 &&
      created === n &&
      rows.rows === n &&
      rows.audits === n &&
      rows.duplicateRows === 0 &&
      got.distinctRecords === n &&
      got.duplicates === 0 &&
      notInDb === 0 &&
      ackNotDelivered === 0;
    return {
      figures: loadFigures(load),
      load,
      fanout: { ...percentiles(got.latencies), events: got.latencies.length },
      serverMs,
      checkinsPerCommit,
      errors,
      ok,
      correctness: {
        acknowledged: created,
        rowsInDb: rows.rows,
        auditEvents: rows.audits,
        duplicateRows: rows.duplicateRows,
        eventsReceived: got.distinctRecords,
        duplicateEvents: got.duplicates,
        eventsForUnknownRecords: notInDb,
        acknowledgedWithoutEvent: ackNotDelivered,
        status: load.status,
        ...(load.failureSamples.length ? { failureSamples: load.failureSamples } : {}),
        ...(load.errorSamples.length ? { errorSamples: load.errorSamples } : {}),
      },
    };
  } finally {
    await teacher.close();
  }
}

/** Numeric fields summed over the rounds (status counts merged); anything else taken from the first round. */
function sumCorrectness(list: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...list[0] };
  for (const key of Object.keys(out)) {
    if (typeof out[key] === 'number') out[key] = list.reduce((t, c) => t + Number(c[key] ?? 0), 0);
  }
  const status: Record<string, number> = {};
  for (const c of list) for (const [code, count] of Object.entries((c.status ?? {}) as Record<string, number>)) status[code] = (status[code] ?? 0) + count;
  out.status = status;
  return out;
}

async function lectureBurst(ctx: BenchContext, kind: 'single' | 'two-node'): Promise<ScenarioResult> {
  const { students: n, rounds } = ctx.sizes.burst;
  const scenario = kind === 'single' ? 'lecture-burst' : 'two-node';
  const dialect = kind === 'single' ? 'sqlite' : 'postgres';
  // The same students arriving at 500 a second rather than in the same instant.
  const windowMs = n * 2;
  return withStack(ctx, dialect, kind === 'single' ? 1 : 2, async ({ db, servers }) => {
    const urls = servers.map((s) => s.baseUrl);
    ctx.log(`${scenario}: seeding ${rounds + 1} sessions of ${n} students`);
    const room = await seedClassrooms(db, rounds + 1, n);
    await warmUp(ctx, db, servers, Math.min(n, 200));

    // A burst's p99 is about when the server has spent its CPU on all n requests, so one burst of
    // each can land on a good or a bad moment of a shared machine (±40 % between back-to-back runs):
    // the bare route's burst and the check-ins' burst alternate, each round with students of its own
    // session, and the figures are the round with the median p99 ratio.
    const measured: { base: Awaited<ReturnType<typeof baseline>>; once: BurstOutcome; p99Ratio: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      // Baseline: the same burst shape (n new connections at once) on the bare route.
      const pingReqs = checkinRequests({ ...room, sessionIds: [room.sessionIds[r]], students: [room.students[r]] }, ['AAAAAA'], true);
      ctx.log(`${scenario}: round ${r + 1}/${rounds}: baseline burst of ${n} pings`);
      const base = await baseline({ urls, ...pingReqs, connections: n, amount: n }, servers);
      ctx.log(`${scenario}: round ${r + 1}/${rounds}: ${n} students check in at once${kind === 'two-node' ? ' (half on each node; teacher socket on B)' : ''}`);
      const once = await burst(db, servers, room, r, n);
      measured.push({ base, once, p99Ratio: once.figures.latency.p99 / Math.max(1e-9, base.p99) });
    }
    ctx.log(`${scenario}: ${n} more students check in over ${windowMs} ms`);
    const spread = await burst(db, servers, room, rounds, n, { windowMs });

    const median = [...measured].sort((a, b) => a.p99Ratio - b.p99Ratio)[Math.floor((measured.length - 1) / 2)];
    const { base, once } = median;
    const f = once.figures;
    const ok = measured.every((m) => m.once.ok) && spread.ok;
    return {
      scenario,
      date: new Date().toISOString(),
      ...f,
      errors: measured.reduce((t, m) => t + m.once.errors, 0) + spread.errors,
      baseline: { rps: base.rps, p99: base.p99 },
      ratio: round(f.rps / base.rps, 3),
      p99Ratio: round(median.p99Ratio, 2),
      loadgenCpu: cpuSummary(once.load.cpu, once.load.durationMs),
      serverCpu: {
        ms: Math.round(once.serverMs),
        coreShare: round(once.serverMs / once.load.durationMs, 2),
        msPerRequest: round(once.serverMs / Math.max(1, once.load.responses), 3),
        baselineMsPerRequest: base.serverCpuMsPerRequest ?? null,
      },
      fanout: { ...once.fanout, measuredAs: 'receive time − record.checkedInAt (taken when the check-in is written, inside its transaction)' },
      burstMs: round(once.load.durationMs, 0),
      rounds: measured.map((m) => ({
        baselineP99: m.base.p99,
        p99: m.once.figures.latency.p99,
        p99Ratio: round(m.p99Ratio, 2),
        rps: m.once.figures.rps,
        baselineRps: m.base.rps,
        serverCpuMsPerRequest: round(m.once.serverMs / Math.max(1, m.once.load.responses), 3),
        baselineServerCpuMsPerRequest: m.base.serverCpuMsPerRequest ?? null,
        checkinsPerCommit: m.once.checkinsPerCommit,
        fanoutP99: m.once.fanout.p99,
      })),
      spread: {
        windowMs,
        rps: spread.figures.rps,
        latency: spread.figures.latency,
        latencyMeasuredFrom: 'when each request was due (open loop)',
        fanout: spread.fanout,
        serverCpuMsPerRequest: round(spread.serverMs / Math.max(1, spread.load.responses), 3),
        checkinsPerCommit: spread.checkinsPerCommit,
        ok: spread.ok,
        targetMet: spread.ok && spread.figures.latency.p99 < 100 && spread.fanout.p99 < 50,
      },
      correctness: { ...sumCorrectness(measured.map((m) => m.once.correctness)), spread: spread.correctness },
      ok,
      target: {
        goal: 'all acknowledged, p99 < 100 ms; teacher receives every event once, fan-out p99 < 50 ms',
        met: ok && f.latency.p99 < 100 && once.fanout.p99 < 50,
      },
      burstTarget: { goal: "1,000 at once: p99 ≤ 1.5 × the bare route's burst in the same round (the median round)", met: ok && median.p99Ratio <= 1.5 },
      setup: { dialect, nodes: servers.length, redis: kind === 'two-node', studentsPerBurst: n, rounds, connections: 'one new connection per student' },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// sockets: N idle authenticated sockets on one node, then one broadcast

/** The hard limit on open files: Node raises its own soft limit to it, so the server can hold that many sockets. */
function openFilesHardLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    return hard === undefined || hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

async function sockets(ctx: BenchContext): Promise<ScenarioResult> {
  const { sockets: n, workers: w } = ctx.sizes.sockets;
  const limit = openFilesHardLimit();
  if (limit < n + 1000) {
    throw new Error(`sockets: ${n} sockets need an open-files hard limit of at least ${n + 1000} (it is ${limit}); raise it (ulimit -Hn, or LimitNOFILE) and run again`);
  }
  return withStack(ctx, 'sqlite', 1, async ({ db, servers }) => {
    const [server] = servers;
    ctx.log(`sockets: seeding ${n} teachers of one course`);
    // Every socket is a different teacher of one course, so all may subscribe to its session's topic.
    const teachers = await seedUsers(db, 'teacher', n, 'st');
    const [student] = await seedUsers(db, 'student', 1, 'ss');
    const course = await seedCourse(
      db,
      teachers.map((t) => t.id),
      [student.id],
    );
    const [session] = await seedSessions(db, course.id, 1);
    const teacherTokens = signTokens(teachers);
    const code = await openSession(server, teacherTokens[0], session.id);
    const topic = `session:${session.id}`;

    const base = await baseline({
      urls: [server.baseUrl],
      tokens: teacherTokens.slice(0, Math.min(n, 2000)),
      bodies: [JSON.stringify({ code: 'AAAAAA' })],
      connections: 50,
      amount: Math.min(ctx.sizes.checkin.requests, 5000),
    }, servers);

    await sleep(300);
    const rssBefore = server.rssBytes();
    const clients = Array.from({ length: w }, () => new Worker('ws-clients.ts'));
    try {
      await Promise.all(clients.map((c) => c.next('ready', 60_000)));
      ctx.log(`sockets: opening ${n} sockets from ${w} processes`);
      const per = Math.ceil(n / w);
      const t0 = Date.now();
      const opened = await Promise.all(
        clients.map((c, i) =>
          c.request<{ opened: number; failed: number; errors: string[]; ms: number }>(
            {
              type: 'open',
              spec: { wsUrl: server.wsUrl, tokens: teacherTokens.slice(i * per, (i + 1) * per), topic, concurrency: 64, timeoutMs: 60_000 },
            },
            'opened',
            600_000,
          ),
        ),
      );
      const connectMs = Date.now() - t0;
      const openCount = opened.reduce((s, o) => s + o.opened, 0);
      const failed = opened.reduce((s, o) => s + o.failed, 0);
      // Let the server settle (and the sockets' buffers be allocated) before reading its RSS.
      await sleep(n >= 5000 ? 2000 : 500);
      const rssAfter = server.rssBytes();

      ctx.log('sockets: one broadcast (a check-in on the session every socket watches)');
      const receivedAll = clients.map((c) => c.request<any>({ type: 'expect', event: 'CHECKIN', count: 1, timeoutMs: 30_000 }, 'received', 60_000));
      const [studentToken] = signTokens([student]);
      const sentAt = Date.now();
      const checkin = await server.request('POST', '/api/checkin', { token: studentToken, body: { code } });
      const got = await Promise.all(receivedAll);
      const lastAt = Math.max(...got.map((g) => g.lastAt));
      const firstAt = Math.min(...got.filter((g) => g.firstAt).map((g) => g.firstAt));
      const receivedSockets = got.reduce((s, g) => s + g.sockets - g.missingSockets, 0);
      const duplicates = got.reduce((s, g) => s + g.duplicates, 0);
      const fanout = percentiles(got.flatMap((g) => g.latencies));
      const checkedInAt = checkin.status === 201 ? Date.parse(checkin.body.record.checkedInAt) : Number.NaN;
      const ok = failed === 0 && openCount === n && checkin.status === 201 && receivedSockets === n && duplicates === 0;
      const cpu = got.reduce((s, g) => ({ userMs: s.userMs + g.cpu.userMs, systemMs: s.systemMs + g.cpu.systemMs }), { userMs: 0, systemMs: 0 });
      const perSocket = Math.round((rssAfter - rssBefore) / Math.max(1, openCount));
      return {
        scenario: 'sockets',
        date: new Date().toISOString(),
        requests: openCount,
        rps: round((openCount * 1000) / Math.max(1, connectMs), 0),
        latency: fanout,
        errors: failed + (checkin.status === 201 ? 0 : 1),
        baseline: { rps: base.rps, p99: base.p99 },
        ratio: null,
        loadgenCpu: { ...cpuSummary(cpu, Math.max(1, lastAt - t0)), over: 'connecting, subscribing and receiving the broadcast' },
        memory: {
          rssBeforeMB: round(rssBefore / 2 ** 20, 1),
          rssAfterMB: round(rssAfter / 2 ** 20, 1),
          perSocketKB: round(perSocket / 1024, 1),
        },
        broadcast: {
          reachedAllMs: lastAt - sentAt,
          fromCheckedInAtMs: Number.isFinite(checkedInAt) ? lastAt - checkedInAt : null,
          firstMs: firstAt - sentAt,
        },
        connect: { ms: connectMs, socketsPerSecond: round((openCount * 1000) / Math.max(1, connectMs), 0), processes: w },
        correctness: { opened: openCount, failed, received: receivedSockets, duplicates, checkinStatus: checkin.status, errors: opened.flatMap((o) => o.errors).slice(0, 5) },
        ok,
        target: { goal: 'memory per socket reported; the broadcast reaches every socket exactly once', met: ok },
        note: 'rps = sockets opened (authenticated + subscribed) per second; latency = per-socket fan-out of the broadcast',
      };
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// report: a course of students × sessions, read by its teacher

/** Endpoints of the report scenario that another module may not have built yet: a 404 "No route" is reported as pending. */
async function exists(server: ServerProcess, url: string, token: string): Promise<boolean> {
  const probe = await server.request('GET', url, { token });
  return !(probe.status === 404 && /No route/.test(JSON.stringify(probe.body)));
}

/** Downloads `url` while sampling the server's RSS every 10 ms: how big it was and how much memory moved. */
async function download(server: ServerProcess, url: string, token: string) {
  const before = server.rssBytes();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.rssBytes());
  }, 10);
  const t0 = performance.now();
  const res = await fetch(server.baseUrl + url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, server.rssBytes());
  return { status: res.status, text, ms: round(ms, 1), bytes: Buffer.byteLength(text), rssPeakDeltaMB: round((peak - before) / 2 ** 20, 1) };
}

async function report(ctx: BenchContext): Promise<ScenarioResult> {
  const { students: ns, sessions: nsess, requests } = ctx.sizes.report;
  return withStack(ctx, 'sqlite', 1, async ({ db, servers }) => {
    const [server] = servers;
    ctx.log(`report: seeding ${ns} students × ${nsess} sessions`);
    const [teacher] = await seedUsers(db, 'teacher', 1, 'rt');
    const students = await seedUsers(db, 'student', ns, 'rs');
    const course = await seedCourse(
      db,
      [teacher.id],
      students.map((s) => s.id),
    );
    const sessions = await seedSessions(db, course.id, nsess, { state: 'closed' });
    await db
      .updateTable('sessions')
      .set({ opened_at: sql`starts_at`, closed_at: sql`ends_at` })
      .where('course_id', '=', course.id)
      .execute();
    const statuses = ['present', 'present', 'present', 'present', 'late', 'absent', 'excused'] as const;
    const expected = { present: 0, late: 0, absent: 0, excused: 0 };
    const rows: Insertable<AttendanceRecordsTable>[] = [];
    for (let si = 0; si < sessions.length; si++) {
      for (let i = 0; i < students.length; i++) {
        const status = statuses[(i + si) % statuses.length];
        if (si === 0) expected[status]++;
        const at = sessions[si].starts_at;
        rows.push({
          id: `${sessions[si].id}${i.toString(36).padStart(4, '0')}`,
          session_id: sessions[si].id,
          student_id: students[i].id,
          status,
          state: 'confirmed' as const,
          method: status === 'absent' ? ('auto' as const) : ('code' as const),
          checked_in_at: status === 'absent' ? null : at,
          updated_at: at,
          updated_by: null,
          note: null,
          flags: '[]',
          browser_id: null,
          version: 1,
        });
      }
    }
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('attendance_records').values(rows.slice(i, i + 1000)).execute();
    });
    const token = signTokens([teacher])[0];
    const tokens = [token];
    const studentTokens = signTokens(students);
    const sessionPaths = (suffix: string) => sessions.map((s) => `/api/sessions/${s.id}/${suffix}`);
    const courseUrl = (suffix: string) => `/api/courses/${course.id}/${suffix}`;

    const base = await baseline({ urls: [server.baseUrl], tokens, bodies: [JSON.stringify({ code: 'AAAAAA' })], connections: 4, amount: requests }, servers);
    const measure = async (paths: string[], amount: number, withTokens = tokens) => {
      // Warm-up, as the check-in scenarios have: the first requests of an endpoint run before the
      // JIT has compiled its code and are several times slower; they are not the steady state.
      await runHttpLoad({ urls: [server.baseUrl], method: 'GET', paths, tokens: withTokens, connections: 4, amount: 16 });
      const r = await runHttpLoad({ urls: [server.baseUrl], method: 'GET', paths, tokens: withTokens, connections: 4, amount });
      return { ...loadFigures(r), errors: nonExpected(r, [200]), cpu: r.cpu, durationMs: r.durationMs, status: r.status };
    };
    const endpoints: Record<string, unknown> = {};
    const cpu = { userMs: 0, systemMs: 0 };
    let wall = 0;
    let errors = 0;
    const record = (name: string, m: Awaited<ReturnType<typeof measure>>, extra: Record<string, unknown> = {}) => {
      endpoints[name] = { requests: m.requests, rps: m.rps, latency: m.latency, ...extra };
      cpu.userMs += m.cpu.userMs;
      cpu.systemMs += m.cpu.systemMs;
      wall += m.durationMs;
      errors += m.errors;
      return m;
    };

    ctx.log('report: session summary and records');
    const summary = record('GET /api/sessions/:id/summary', await measure(sessionPaths('summary'), requests));
    record('GET /api/sessions/:id/records', await measure(sessionPaths('records'), Math.max(4, Math.round(requests / 4))), { items: ns });

    let courseReport: Awaited<ReturnType<typeof measure>> | null = null;
    let reportRight: boolean | 'pending' = 'pending';
    if (await exists(server, courseUrl('report'), token)) {
      ctx.log('report: course report');
      courseReport = record('GET /api/courses/:id/report', await measure([courseUrl('report')], Math.max(4, Math.round(requests / 4))), {
        students: ns,
        sessions: nsess,
      });
      const one = await server.request('GET', courseUrl('report'), { token });
      reportRight = one.status === 200 && one.body.items.length === ns && one.body.sessions === nsess && one.body.items.every((i: any) => i.total === nsess);
    } else endpoints['GET /api/courses/:id/report'] = 'pending: endpoint not built yet';
    if (await exists(server, courseUrl('report.csv'), token)) {
      record('GET /api/courses/:id/report.csv', await measure([courseUrl('report.csv')], Math.max(4, Math.round(requests / 4))));
    } else endpoints['GET /api/courses/:id/report.csv'] = 'pending: endpoint not built yet';
    let csvRight: boolean | 'pending' = 'pending';
    if (await exists(server, courseUrl('records.csv'), token)) {
      ctx.log(`report: streaming all ${rows.length} records as CSV`);
      await download(server, courseUrl('records.csv'), token);
      const d = await download(server, courseUrl('records.csv'), token);
      const lines = d.text.split('\n').filter(Boolean).length;
      csvRight = d.status === 200 && lines === rows.length + 1;
      errors += d.status === 200 ? 0 : 1;
      endpoints['GET /api/courses/:id/records.csv'] = { ms: d.ms, bytes: d.bytes, lines, rssPeakDeltaMB: d.rssPeakDeltaMB };
    } else endpoints['GET /api/courses/:id/records.csv'] = 'pending: endpoint not built yet';
    let gridRight: boolean | 'pending' = 'pending';
    let grid: Awaited<ReturnType<typeof measure>> | null = null;
    if (await exists(server, courseUrl('grid'), token)) {
      ctx.log('report: students × sessions grid');
      grid = record('GET /api/courses/:id/grid', await measure([courseUrl('grid')], Math.max(4, Math.round(requests / 4))), { students: ns, sessions: nsess });
      const one = await server.request('GET', courseUrl('grid'), { token });
      gridRight = one.status === 200 && one.body.students.length === ns && one.body.sessions.length === nsess && one.body.students.every((s: any) => s.cells.every((c: any) => c !== null));
    } else endpoints['GET /api/courses/:id/grid'] = 'pending: endpoint not built yet';
    let overview: Awaited<ReturnType<typeof measure>> | null = null;
    let overviewRight: boolean | 'pending' = 'pending';
    const [admin] = await seedUsers(db, 'admin', 1, 'ra');
    const adminToken = signTokens([admin])[0];
    if (await exists(server, '/api/reports/overview', adminToken)) {
      ctx.log('report: institution overview');
      overview = record('GET /api/reports/overview', await measure(['/api/reports/overview'], Math.max(4, Math.round(requests / 4)), [adminToken]), {
        courses: 1,
        records: rows.length,
      });
      const one = await server.request('GET', '/api/reports/overview', { token: adminToken });
      overviewRight = one.status === 200 && one.body.courses.length === 1 && one.body.courses[0].heldSessions === nsess && one.body.courses[0].students === ns;
    } else endpoints['GET /api/reports/overview'] = 'pending: endpoint not built yet';
    if (await exists(server, '/api/me/attendance', studentTokens[0])) {
      ctx.log('report: students’ own attendance');
      record('GET /api/me/attendance (student)', await measure(['/api/me/attendance'], Math.max(4, Math.round(requests / 2)), studentTokens), {
        sessions: nsess,
      });
    } else endpoints['GET /api/me/attendance (student)'] = 'pending: endpoint not built yet';

    // Correctness: the figures match what was seeded.
    const one = await server.request('GET', `/api/sessions/${sessions[0].id}/summary`, { token });
    const list = await server.request('GET', `/api/sessions/${sessions[0].id}/records`, { token });
    const summaryRight =
      one.status === 200 &&
      one.body.enrolled === ns &&
      one.body.present === expected.present &&
      one.body.late === expected.late &&
      one.body.absent === expected.absent &&
      one.body.excused === expected.excused &&
      one.body.unmarked === 0;
    const recordsRight = list.status === 200 && list.body.items.length === ns && new Set(list.body.items.map((r: any) => r.studentId)).size === ns;

    const ok = errors === 0 && summaryRight && recordsRight && reportRight !== false && csvRight !== false && gridRight !== false && overviewRight !== false;
    const main = courseReport ?? summary;
    return {
      scenario: 'report',
      date: new Date().toISOString(),
      requests: main.requests,
      rps: main.rps,
      latency: main.latency,
      measured: courseReport ? 'GET /api/courses/:id/report' : 'GET /api/sessions/:id/summary (course report pending)',
      errors,
      baseline: { rps: base.rps, p99: base.p99 },
      ratio: round(main.rps / base.rps, 3),
      loadgenCpu: cpuSummary(cpu, wall),
      endpoints,
      correctness: {
        summaryMatchesSeed: summaryRight,
        recordsComplete: recordsRight,
        courseReportComplete: reportRight,
        recordsCsvComplete: csvRight,
        gridComplete: gridRight,
        overviewComplete: overviewRight,
        seededRecords: rows.length,
      },
      ok,
      target: {
        goal: 'course report, grid and overview < 100 ms (p99, 4 concurrent readers); CSV export streams with flat memory',
        met:
          ok &&
          courseReport !== null &&
          courseReport.latency.p99 < 100 &&
          (grid === null || grid.latency.p99 < 100) &&
          (overview === null || overview.latency.p99 < 100) &&
          csvRight === true,
      },
      setup: { students: ns, sessions: nsess, connections: 4 },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// open-sessions: a check-in's cost with 20 vs 5,000 open sessions on the campus (SQLite)

/** `count` more courses with one session each and no students: only there to be matched against. */
async function seedIdleSessions(db: Db, count: number): Promise<string[]> {
  const now = nowIso();
  const courses: Insertable<CoursesTable>[] = [];
  const sessions: SessionsTable[] = [];
  for (let i = 0; i < count; i++) {
    const courseId = newId();
    const code = `IDLE-${randomBytes(5).toString('hex').toUpperCase()}`;
    courses.push({
      id: courseId,
      code,
      name: `Idle ${code}`,
      description: null,
      department_id: null,
      term: '2026-S2',
      year_of_study: 1,
      threshold_percent: 75,
      late_after_minutes: 10,
      created_at: now,
      updated_at: now,
    });
    const start = new Date(Date.now() - 60_000);
    // Half rotate their codes every 30 s, as a campus's would: the index re-files them each step.
    const policy = { ...defaultPolicy(10), codeRotateSeconds: i % 2 ? 30 : 0 };
    sessions.push({
      id: newId(),
      course_id: courseId,
      kind: 'lecture',
      number: 1,
      title: null,
      starts_at: start.toISOString(),
      ends_at: new Date(start.getTime() + 3 * 3600_000).toISOString(),
      venue: 'Elsewhere',
      state: 'scheduled',
      opened_at: null,
      closed_at: null,
      cancelled_at: null,
      cancelled_reason: null,
      policy: JSON.stringify(policy),
      code_secret: randomBytes(32).toString('base64url'),
      version: 1,
      created_at: now,
      updated_at: now,
    });
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < courses.length; i += 500) await trx.insertInto('courses').values(courses.slice(i, i + 500)).execute();
    for (let i = 0; i < sessions.length; i += 500) await trx.insertInto('sessions').values(sessions.slice(i, i + 500)).execute();
  });
  return sessions.map((x) => x.id);
}

/**
 * Opens the first `open` of the idle sessions and closes the rest (closed three hours ago: past the
 * window in which an old code still answers "closed", so the servers drop them). Straight in the
 * database, with `updated_at` moved as every write of the app moves it: the servers notice within a second.
 */
async function setOpenIdle(db: Db, ids: string[], open: number): Promise<void> {
  const now = nowIso();
  const longAgo = new Date(Date.now() - 3 * 3600_000).toISOString();
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const opening = chunk.filter((_, k) => i + k < open);
      const closing = chunk.filter((_, k) => i + k >= open);
      if (opening.length) {
        await trx.updateTable('sessions').set({ state: 'open', opened_at: now, closed_at: null, updated_at: now }).where('id', 'in', opening).execute();
      }
      if (closing.length) {
        await trx.updateTable('sessions').set({ state: 'closed', closed_at: longAgo, updated_at: now }).where('id', 'in', closing).execute();
      }
    }
  });
}

async function openSessionsScale(ctx: BenchContext): Promise<ScenarioResult> {
  const { requests, many, rounds } = ctx.sizes.openSessions;
  const connections = ctx.sizes.checkin.connections;
  const few = 20;
  // After opening or closing thousands of sessions, a node re-reads the changed rows for its
  // incremental look's overlap (10 s, open-sessions.cache.ts): the phases measure the steady state after it.
  const settleMs = ctx.mode === 'dist' ? 12_000 : 1500;
  return withStack(ctx, 'sqlite', 1, async ({ db, servers }) => {
    const [server] = servers;
    const stride = requests + connections * 2;
    const phases = rounds * 2;
    ctx.log(`open-sessions: seeding one course of ${stride * phases} students and ${many - 1} idle courses`);
    const room = await seedClassrooms(db, 1, stride * phases);
    const idle = await seedIdleSessions(db, many - 1);
    await warmUp(ctx, db, servers, connections);
    const code = await openSession(server, room.teacherToken, room.sessionIds[0]);
    const reqs = checkinRequests(room, [code], false);

    const results: { open: number; load: HttpLoadResult; ms: number }[] = [];
    for (let p = 0; p < phases; p++) {
      const open = p % 2 === 0 ? few : many;
      await setOpenIdle(db, idle, open - 1);
      const counted = await db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'open').executeTakeFirstOrThrow();
      ctx.log(`open-sessions: phase ${p + 1}/${phases}: ${Number(counted.n)} sessions open (incl. the warm-up's), ${requests} check-ins`);
      await sleep(settleMs);
      const part = <T>(list: T[]) => list.slice(p * stride, (p + 1) * stride);
      const slice = { tokens: part(reqs.tokens), bodies: part(reqs.bodies), cookies: part(reqs.cookies) };
      const c = await serverCpuDuring(servers, () =>
        runHttpLoad({ urls: [server.baseUrl], method: 'POST', paths: ['/api/checkin'], ...slice, connections, amount: requests, collect: 'recordId' }),
      );
      results.push({ open, load: c.result, ms: c.ms });
    }
    const fewLoads = results.filter((r) => r.open === few);
    const manyLoads = results.filter((r) => r.open === many);
    const fewF = loadFigures(mergeLoads(fewLoads.map((r) => r.load)));
    const all = mergeLoads(results.map((r) => r.load));
    const manyLoad = mergeLoads(manyLoads.map((r) => r.load));
    const manyF = loadFigures(manyLoad);
    const cpu = (list: typeof results) => round(list.reduce((t, r) => t + r.ms, 0) / Math.max(1, list.reduce((t, r) => t + r.load.responses, 0)), 3);
    const created = all.status['201'] ?? 0;
    const rows = await countRows(db, room.sessionIds);
    const inDb = await recordIdsIn(db, room.sessionIds);
    const acknowledgedMissing = all.collected.filter((id) => !inDb.has(id)).length;
    const errors = nonExpected(all, [201]);
    const total = requests * phases;
    const ok =
      errors === 0 &&
      created === total &&
      rows.rows === created &&
      rows.audits === created &&
      rows.duplicateRows === 0 &&
      new Set(all.collected).size === created &&
      acknowledgedMissing === 0;
    const ratio = round(manyF.rps / fewF.rps, 3);
    return {
      scenario: 'open-sessions',
      date: new Date().toISOString(),
      ...manyF,
      errors,
      baseline: { rps: fewF.rps, p99: fewF.latency.p99 },
      ratio,
      baselineIs: `the same check-ins with ${few} sessions open (alternating phases, same server)`,
      loadgenCpu: cpuSummary(manyLoad.cpu, manyLoad.durationMs),
      serverCpu: {
        ms: Math.round(manyLoads.reduce((t, r) => t + r.ms, 0)),
        coreShare: round(manyLoads.reduce((t, r) => t + r.ms, 0) / manyLoad.durationMs, 2),
        msPerRequest: cpu(manyLoads),
        baselineMsPerRequest: cpu(fewLoads),
        cpuRatio: round(cpu(fewLoads) / cpu(manyLoads), 3),
      },
      phases: results.map((r) => ({ openSessions: r.open, ...loadFigures(r.load), serverMsPerRequest: round(r.ms / Math.max(1, r.load.responses), 3) })),
      correctness: {
        responses201: created,
        rowsInDb: rows.rows,
        auditEvents: rows.audits,
        duplicateRows: rows.duplicateRows,
        acknowledgedMissingFromDb: acknowledgedMissing,
        status: all.status,
        ...(all.failureSamples.length ? { failureSamples: all.failureSamples } : {}),
      },
      ok,
      target: { goal: `≥ 0.9 of the ${few}-session throughput with ${many} sessions open`, met: ok && ratio >= 0.9 },
      setup: { dialect: 'sqlite', connections, requestsPerPhase: requests, few, many, idleRotating: 'half, every 30 s', settleMs, body: 'typed code only' },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// device-scan: scans of new and of already-recorded students, against code check-ins (both dialects)

type KindFigures = ReturnType<typeof loadFigures> & { serverMsPerRequest: number; statementsPerRequest: number };

interface DeviceScanFigures {
  code: KindFigures;
  scanNew: KindFigures;
  scanRepeat: KindFigures;
  ratioNew: number;
  ratioRepeat: number;
  postgresMsPerRequest?: { code: number; scanNew: number; scanRepeat: number };
  commitsPerRequest?: { code: number; scanNew: number; scanRepeat: number };
  correctness: Record<string, unknown>;
  ok: boolean;
  loadgenCpu: ReturnType<typeof cpuSummary>;
}

async function deviceScanOn(ctx: BenchContext, dialect: 'sqlite' | 'postgres'): Promise<DeviceScanFigures> {
  const n = ctx.sizes.deviceScan.requests;
  const connections = ctx.sizes.checkin.connections;
  return withStack(ctx, dialect, 1, async ({ db, servers }) => {
    const [server] = servers;
    ctx.log(`device-scan [${dialect}]: seeding two sessions of ${n + connections * 2} students`);
    const room = await seedClassrooms(db, 2, n + connections * 2);
    const [admin] = await seedUsers(db, 'admin', 1, 'da');
    const adminToken = signTokens([admin])[0];
    const created = await server.request('POST', '/api/devices', { token: adminToken, body: { name: 'Bench gate reader' } });
    if (created.status !== 201) throw new Error(`create device: ${created.status} ${JSON.stringify(created.body)}`);
    const apiKey = created.body.apiKey as string;
    const deviceId = created.body.device.id as string;
    await warmUp(ctx, db, servers, connections);

    const code = await openSession(server, room.teacherToken, room.sessionIds[0]);
    const bound = await server.request('POST', `/api/sessions/${room.sessionIds[1]}/open`, { token: room.teacherToken, body: { deviceId } });
    if (bound.status !== 200) throw new Error(`open device session: ${bound.status} ${JSON.stringify(bound.body)}`);
    const codeReqs = checkinRequests({ ...room, sessionIds: [room.sessionIds[0]], students: [room.students[0]] }, [code], false);
    const numbers = await db.selectFrom('users').select(['id', 'student_number']).where('id', 'in', room.students[1].map((st) => st.id)).execute();
    const numberOf = new Map(numbers.map((u) => [u.id, u.student_number!]));
    const scanBodies = (pass: string) =>
      room.students[1].map((st, i) => JSON.stringify({ student_id: numberOf.get(st.id), scan_id: `${pass}-${i}` }));

    const measure = async (spec: Omit<HttpLoadSpec, 'urls' | 'method' | 'connections' | 'amount'>) => {
      const xacts0 = dialect === 'postgres' ? await committedTransactions(db) : 0;
      const pg0 = dialect === 'postgres' ? processesCpuMs('postgres') : 0;
      const counted = await countersDuring(server, () =>
        serverCpuDuring(servers, () => runHttpLoad({ urls: [server.baseUrl], method: 'POST', connections, amount: n, collect: 'recordId', ...spec })).then(
          (c) => ({ ...c, responses: c.result.responses }),
        ),
      );
      const c = counted.result;
      const pgMs = dialect === 'postgres' ? processesCpuMs('postgres') - pg0 : 0;
      const xacts = dialect === 'postgres' ? (await committedTransactions(db)) - xacts0 : 0;
      return {
        load: c.result,
        ms: c.ms,
        pgMsPerRequest: round(pgMs / Math.max(1, c.result.responses), 3),
        commitsPerRequest: round(xacts / Math.max(1, c.result.responses), 2),
        statementsPerRequest: round(counted.statements / Math.max(1, c.result.responses), 2),
        serverCheckins: counted.checkins,
      };
    };
    ctx.log(`device-scan [${dialect}]: ${n} code check-ins`);
    const codeRun = await measure({ paths: ['/api/checkin'], ...codeReqs });
    ctx.log(`device-scan [${dialect}]: ${n} scans of new students`);
    const newRun = await measure({ paths: ['/api/attendance/scan'], tokens: [apiKey], bodies: scanBodies('first') });
    ctx.log(`device-scan [${dialect}]: ${n} scans of the same students again (new scan ids)`);
    const repeatRun = await measure({ paths: ['/api/attendance/scan'], tokens: [apiKey], bodies: scanBodies('again') });

    const codeRows = await countRows(db, [room.sessionIds[0]]);
    const scanRows = await countRows(db, [room.sessionIds[1]]);
    const scanIds = await recordIdsIn(db, [room.sessionIds[1]]);
    const logged = await db
      .selectFrom('device_scans')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('device_id', '=', deviceId)
      .executeTakeFirstOrThrow();
    const newCreated = newRun.load.status['201'] ?? 0;
    const repeatDup = repeatRun.load.status['200'] ?? 0;
    const codeCreated = codeRun.load.status['201'] ?? 0;
    const ackMissing = newRun.load.collected.filter((id) => !scanIds.has(id)).length;
    const errors = nonExpected(codeRun.load, [201]) + nonExpected(newRun.load, [201]) + nonExpected(repeatRun.load, [200]);
    const ok =
      errors === 0 &&
      codeCreated === n &&
      codeRows.rows === n &&
      codeRows.audits === n &&
      codeRows.duplicateRows === 0 &&
      newCreated === n &&
      repeatDup === n &&
      scanRows.rows === n &&
      scanRows.audits === n &&
      scanRows.duplicateRows === 0 &&
      ackMissing === 0 &&
      // The server counted exactly the records it acknowledged in each window (none for the repeats).
      codeRun.serverCheckins === codeCreated &&
      newRun.serverCheckins === newCreated &&
      repeatRun.serverCheckins === 0 &&
      Number(logged.n) === 2 * n;
    const fig = (r: { load: HttpLoadResult; ms: number; statementsPerRequest: number }) => ({
      ...loadFigures(r.load),
      serverMsPerRequest: round(r.ms / Math.max(1, r.load.responses), 3),
      statementsPerRequest: r.statementsPerRequest,
    });
    const codeF = fig(codeRun);
    const newF = fig(newRun);
    const repeatF = fig(repeatRun);
    return {
      code: codeF,
      scanNew: newF,
      scanRepeat: repeatF,
      ratioNew: round(newF.rps / codeF.rps, 3),
      ratioRepeat: round(repeatF.rps / codeF.rps, 3),
      ...(dialect === 'postgres'
        ? {
            postgresMsPerRequest: { code: codeRun.pgMsPerRequest, scanNew: newRun.pgMsPerRequest, scanRepeat: repeatRun.pgMsPerRequest },
            // Transactions PostgreSQL committed per request (a group commit's check-ins share one).
            commitsPerRequest: { code: codeRun.commitsPerRequest, scanNew: newRun.commitsPerRequest, scanRepeat: repeatRun.commitsPerRequest },
          }
        : {}),
      correctness: {
        codeCheckins201: codeCreated,
        codeRowsInDb: codeRows.rows,
        scans201: newCreated,
        repeats200: repeatDup,
        scanRowsInDb: scanRows.rows,
        scanAuditEvents: scanRows.audits,
        duplicateRows: codeRows.duplicateRows + scanRows.duplicateRows,
        acknowledgedMissingFromDb: ackMissing,
        scansLogged: Number(logged.n),
        serverCountedCheckins: { code: codeRun.serverCheckins, scanNew: newRun.serverCheckins, scanRepeat: repeatRun.serverCheckins },
        status: { code: codeRun.load.status, scanNew: newRun.load.status, scanRepeat: repeatRun.load.status },
        ...(newRun.load.failureSamples.length || repeatRun.load.failureSamples.length
          ? { failureSamples: [...newRun.load.failureSamples, ...repeatRun.load.failureSamples].slice(0, 5) }
          : {}),
      },
      ok,
      loadgenCpu: cpuSummary(newRun.load.cpu, newRun.load.durationMs),
    };
  });
}

async function deviceScan(ctx: BenchContext): Promise<ScenarioResult> {
  const sqlite = await deviceScanOn(ctx, 'sqlite');
  const postgres = await deviceScanOn(ctx, 'postgres');
  const ok = sqlite.ok && postgres.ok;
  return {
    scenario: 'device-scan',
    date: new Date().toISOString(),
    ...sqlite.scanNew,
    errors: 0,
    baseline: { rps: sqlite.code.rps, p99: sqlite.code.latency.p99 },
    ratio: sqlite.ratioNew,
    baselineIs: 'code check-ins on the same server and database, same clients (top level: SQLite, new students)',
    loadgenCpu: sqlite.loadgenCpu,
    byDialect: { sqlite, postgres },
    correctness: { sqlite: sqlite.correctness, postgres: postgres.correctness },
    ok,
    target: {
      goal: 'device scans (new and repeated students) as fast as code check-ins on the same database (ratio ≥ 0.9)',
      met: ok && Math.min(sqlite.ratioNew, sqlite.ratioRepeat, postgres.ratioNew, postgres.ratioRepeat) >= 0.9,
    },
    setup: { connections: ctx.sizes.checkin.connections, requestsPerKind: ctx.sizes.deviceScan.requests, device: 'one device key for every scan (as a gate reader)' },
  };
}
