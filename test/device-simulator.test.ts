import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeviceClient, scansFromCsv, type Scan } from '../scripts/device-client.js';
import { freePort } from './support/cluster.js';
import { buildClassroom, scheduleSession, openWithCode, type Classroom } from './support/classroom.js';
import { userWithToken } from './support/factories.js';
import { closedPort } from './support/smtp.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the simulator CLI as `npm run device` does (tsx), resolving when it exits; `onOutput` sees its output as it comes. */
function runSimulator(args: string[], onOutput?: (text: string) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/device-simulator.ts', ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    onOutput?.(stdout);
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Forwards a fixed local port to the app: the server "comes back" at the address the simulator uses. */
async function forward(port: number, targetPort: number): Promise<() => Promise<void>> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

describeEachDialect('device simulator and its offline queue', (ctx) => {
  let dir: string;
  let baseUrl: string;
  let adminToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-device-'));
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(ctx().app.server.address() as net.AddressInfo).port}`;
    adminToken = (await userWithToken(ctx(), 'admin')).token;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A classroom with an open session bound to a fresh device. */
  async function kiosk(c: TestContext, size: number): Promise<{ room: Classroom; sessionId: string; deviceId: string; key: string }> {
    const room = await buildClassroom(c, size, { loginStudents: 0 });
    const reg = await c.request({ method: 'POST', url: '/api/devices', token: adminToken, payload: { name: 'Simulated kiosk' } });
    expect(reg.statusCode, reg.body).toBe(201);
    const sessionId = await scheduleSession(c, room);
    await openWithCode(c, room, sessionId, { deviceId: reg.json().device.id });
    return { room, sessionId, deviceId: reg.json().device.id, key: reg.json().apiKey };
  }

  async function stored(sessionId: string, deviceId: string) {
    const records = await ctx().db.selectFrom('attendance_records').selectAll().where('session_id', '=', sessionId).execute();
    const scans = await ctx().db.selectFrom('device_scans').selectAll().where('device_id', '=', deviceId).execute();
    return { records, scans };
  }

  it('queues scans while the server is down and delivers each exactly once when it is back', async () => {
    const { room, sessionId, deviceId, key } = await kiosk(ctx(), 4);
    const queueFile = path.join(dir, 'offline', 'queue.jsonl');
    const down = new DeviceClient({ url: `http://127.0.0.1:${await closedPort()}`, key, queueFile, timeZone: 'UTC' });
    const numbers = room.students.slice(0, 3).map((s) => s.studentNumber!);
    const scans = numbers.map((n) => down.makeScan(n));

    const offline = await down.flush(scans);
    expect(offline).toMatchObject({ delivered: 0, queued: 3, stoppedBy: 'unreachable' });
    expect(offline.outcomes[0]).toMatchObject({ kind: 'unreachable', reason: 'ECONNREFUSED' });
    expect(down.queued()).toEqual(scans);
    // One more scan while still offline joins the queue behind them.
    const later = down.makeScan(room.students[3].studentNumber!);
    expect((await down.flush([later])).queued).toBe(4);
    expect((await stored(sessionId, deviceId)).records).toHaveLength(0);

    const up = new DeviceClient({ url: baseUrl, key, queueFile, timeZone: 'UTC' });
    const online = await up.flush();
    expect(online).toMatchObject({ delivered: 4, created: 4, duplicates: 0, rejected: 0, queued: 0, stoppedBy: null });
    expect(existsSync(queueFile)).toBe(false);
    let db = await stored(sessionId, deviceId);
    expect(db.records.map((r) => r.student_id).sort()).toEqual(room.students.map((s) => s.id).sort());
    expect(db.records.every((r) => r.method === 'device')).toBe(true);
    expect(db.scans.map((s) => s.scan_id).sort()).toEqual([...scans, later].map((s) => s.scan_id).sort());
    // The record keeps the time the device saw the student, not the delivery time.
    const first = db.records.find((r) => r.student_id === room.students[0].id)!;
    expect(first.checked_in_at!.slice(0, 19)).toBe(`${scans[0].date}T${scans[0].time}`);

    // The device crashed after delivering but before emptying its queue: the replay counts nothing twice.
    up.enqueue([...scans, later]);
    const replay = await up.flush();
    expect(replay).toMatchObject({ delivered: 4, created: 0, duplicates: 4, queued: 0 });
    db = await stored(sessionId, deviceId);
    expect(db.records).toHaveLength(4);
    expect(db.scans).toHaveLength(4);
  });

  it('keeps scans queued on a 5xx and on a refused key; drops what the server rejects to a file', async () => {
    const { room, sessionId, deviceId, key } = await kiosk(ctx(), 2);
    const queueFile = path.join(dir, 'mixed.jsonl');

    const failing = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"unavailable"}');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', () => resolve()));
    try {
      const broken = new DeviceClient({ url: `http://127.0.0.1:${(failing.address() as net.AddressInfo).port}`, key, queueFile });
      const report = await broken.flush([broken.makeScan(room.students[0].studentNumber!), broken.makeScan('NOBODY-1')]);
      expect(report).toMatchObject({ delivered: 0, queued: 2, stoppedBy: 'unreachable' });
      expect(report.outcomes[0]).toMatchObject({ kind: 'unreachable', reason: 'HTTP 503' });
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }

    const wrongKey = new DeviceClient({ url: baseUrl, key: 'rbd_wrong-key-0000000000000000000000', queueFile });
    expect(await wrongKey.flush()).toMatchObject({ delivered: 0, queued: 2, stoppedBy: 'unauthorized' });

    const client = new DeviceClient({ url: baseUrl, key, queueFile });
    const report = await client.flush();
    expect(report).toMatchObject({ delivered: 1, created: 1, rejected: 1, queued: 0 });
    const rejected = readFileSync(client.rejectedFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Scan & { status: number; code: string });
    expect(rejected).toEqual([expect.objectContaining({ student_id: 'NOBODY-1', status: 404, code: 'unknown_student' })]);
    const db = await stored(sessionId, deviceId);
    expect(db.records).toHaveLength(1);
    expect(db.scans).toHaveLength(1);
  });

  it('reads student numbers from a CSV, with or without a device log header', () => {
    const client = new DeviceClient({ url: baseUrl, key: 'rbd_x', queueFile: path.join(dir, 'csv.jsonl'), timeZone: 'UTC' });
    const plain = scansFromCsv(client, 'S1\nS2,ignored\n\n# comment\nS3\n');
    expect(plain.map((s) => s.student_id)).toEqual(['S1', 'S2', 'S3']);
    expect(new Set(plain.map((s) => s.scan_id)).size).toBe(3);
    const log = 'student_id,date,time\n120,2026-11-25,08:43:21\n121,2026-11-25,08:44\n';
    const fromLog = scansFromCsv(client, log);
    expect(fromLog).toEqual([
      expect.objectContaining({ student_id: '120', date: '2026-11-25', time: '08:43:21' }),
      expect.objectContaining({ student_id: '121', date: '2026-11-25', time: '08:44:00' }),
    ]);
    // Importing the same log twice sends the same scan_ids.
    expect(scansFromCsv(client, log).map((s) => s.scan_id)).toEqual(fromLog.map((s) => s.scan_id));
  });

  it('the CLI queues while the server is unreachable and, with --retry-seconds, delivers once it is back', async () => {
    const { room, sessionId, deviceId, key } = await kiosk(ctx(), 3);
    const queueFile = path.join(dir, 'cli', 'device-queue.jsonl');
    const csv = path.join(dir, 'roster.csv');
    writeFileSync(csv, `${room.students[1].studentNumber}\n${room.students[2].studentNumber}\n`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    // Run 1: the server is down; everything lands in the queue (exit status 2).
    const offline = await runSimulator(['--url', url, '--key', key, '--queue', queueFile, room.students[0].studentNumber!]);
    expect(offline.code, offline.stdout + offline.stderr).toBe(2);
    expect(offline.stdout).toContain('queued 1');
    const queued = readFileSync(queueFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Scan);
    expect(queued).toEqual([expect.objectContaining({ student_id: room.students[0].studentNumber, scan_id: expect.stringMatching(/^sim-/) })]);

    // Run 2: more scans from a CSV, still down; it retries every second and the server comes back meanwhile.
    let stopForwarding: (() => Promise<void>) | undefined;
    let forwarding: Promise<void> | undefined;
    const run = await runSimulator(['--url', url, '--key', key, '--queue', queueFile, '--retry-seconds', '1', csv], (out) => {
      if (!forwarding && out.includes('retrying in')) {
        forwarding = forward(port, Number(new URL(baseUrl).port)).then((stop) => {
          stopForwarding = stop;
        });
      }
    });
    await forwarding;
    await stopForwarding?.();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('replaying 1 queued scan(s)');
    expect(run.stdout).toMatch(/delivered 3 \(new 3, duplicate 0\), rejected 0, queued 0/);
    expect(existsSync(queueFile)).toBe(false);

    const db = await stored(sessionId, deviceId);
    expect(db.records.map((r) => r.student_id).sort()).toEqual(room.students.map((s) => s.id).sort());
    expect(db.scans).toHaveLength(3);
    // The first scan kept its original scan_id through the replay.
    expect(db.scans.map((s) => s.scan_id)).toContain(queued[0].scan_id);

    // Run 3: nothing queued and no scans: nothing to do.
    const idle = await runSimulator(['--url', baseUrl, '--key', key, '--queue', queueFile]);
    expect(idle.code).toBe(0);
    expect(idle.stdout).toContain('delivered 0');
  });
});
