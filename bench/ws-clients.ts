/**
 * WebSocket clients (a child process of `npm run bench`). On `open` it connects one socket per
 * token (`?token=`, bounded concurrency), waits for READY, SUBSCRIBEs to the topic and waits for the
 * ACK. Then it counts every topic event each socket receives: per socket, which record ids arrived
 * and how often (exactly-once), and for CHECKIN the fan-out latency — receive time minus the
 * record's server-side `checkedInAt`.
 */
import { WebSocket } from 'ws';

interface OpenSpec {
  wsUrl: string;
  tokens: string[];
  topic: string;
  concurrency: number;
  timeoutMs: number;
}

interface Sock {
  ws: WebSocket;
  /** record id → times received (CHECKIN). */
  checkins: Map<string, number>;
  /** other events by name → count. */
  events: Map<string, number>;
  lastAt: number;
}

const socks: Sock[] = [];
const latencies: number[] = [];
let firstAt = 0;
let lastAt = 0;
/** CPU use is counted from the first connection (not the process's own start-up). */
let cpu0 = process.cpuUsage();
let watched = 'CHECKIN';
let waiter: { count: number; resolve: () => void } | null = null;
let complete = 0;

function send(message: unknown) {
  process.send!(message);
}

function isComplete(s: Sock, count: number): boolean {
  return (watched === 'CHECKIN' ? s.checkins.size : (s.events.get(watched) ?? 0)) >= count;
}

function onEvent(s: Sock, raw: Buffer) {
  const at = Date.now();
  let m: any;
  try {
    m = JSON.parse(raw.toString());
  } catch {
    return;
  }
  if (!m.topic) return;
  const wasComplete = waiter ? isComplete(s, waiter.count) : true;
  s.events.set(m.event, (s.events.get(m.event) ?? 0) + 1);
  if (m.event === 'CHECKIN') {
    const id = m.data?.record?.id as string;
    s.checkins.set(id, (s.checkins.get(id) ?? 0) + 1);
    const server = Date.parse(m.data?.record?.checkedInAt);
    if (Number.isFinite(server)) latencies.push(at - server);
  }
  if (m.event === watched) {
    s.lastAt = at;
    if (!firstAt) firstAt = at;
    lastAt = Math.max(lastAt, at);
    if (waiter && !wasComplete && isComplete(s, waiter.count)) {
      complete++;
      if (complete === socks.length) waiter.resolve();
    }
  }
}

function openOne(spec: OpenSpec, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${spec.wsUrl}?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    const s: Sock = { ws, checkins: new Map(), events: new Map(), lastAt: 0 };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('socket did not become ready in time'));
    }, spec.timeoutMs);
    let state: 'auth' | 'sub' | 'ready' = 'auth';
    ws.on('message', (raw: Buffer) => {
      if (state === 'ready') return onEvent(s, raw);
      const m = JSON.parse(raw.toString());
      if (state === 'auth' && m.event === 'READY') {
        state = 'sub';
        ws.send(JSON.stringify({ event: 'SUBSCRIBE', data: { topic: spec.topic }, ref: 's' }));
      } else if (state === 'sub' && m.ref === 's') {
        clearTimeout(timer);
        if (m.event !== 'ACK') {
          ws.terminate();
          reject(new Error(`SUBSCRIBE ${spec.topic}: ${raw.toString()}`));
          return;
        }
        state = 'ready';
        socks.push(s);
        resolve();
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      if (state !== 'ready') reject(new Error(`closed ${code} ${reason.toString()}`));
    });
  });
}

async function open(spec: OpenSpec) {
  const t0 = Date.now();
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  const lane = async () => {
    while (next < spec.tokens.length) {
      const token = spec.tokens[next++];
      try {
        await openOne(spec, token);
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(String((err as Error).message ?? err));
      }
    }
  };
  cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.tokens.length) }, lane));
  return { opened: socks.length, failed, errors, ms: Date.now() - t0 };
}

/** Waits until every socket has `count` distinct events of `event` (or the timeout), then reports. */
async function expectEvents(event: string, count: number, timeoutMs: number) {
  watched = event;
  complete = socks.filter((s) => isComplete(s, count)).length;
  if (complete < socks.length) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
    waiter = null;
  }
  // A short grace period to catch duplicates that would arrive after the last expected event.
  await new Promise((r) => setTimeout(r, 200));
  let duplicates = 0;
  let missingSockets = 0;
  let minDistinct = Number.POSITIVE_INFINITY;
  let maxDistinct = 0;
  const ids = new Set<string>();
  for (const s of socks) {
    const distinct = event === 'CHECKIN' ? s.checkins.size : (s.events.get(event) ?? 0);
    for (const [id, n] of s.checkins) {
      ids.add(id);
      if (n > 1) duplicates += n - 1;
    }
    minDistinct = Math.min(minDistinct, distinct);
    maxDistinct = Math.max(maxDistinct, distinct);
    if (distinct < count) missingSockets++;
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    sockets: socks.length,
    minDistinct: socks.length ? minDistinct : 0,
    maxDistinct,
    missingSockets,
    duplicates,
    recordIds: event === 'CHECKIN' && socks.length <= 4 ? [...ids] : undefined,
    distinctRecords: ids.size,
    latencies,
    firstAt,
    lastAt,
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
  };
}

process.on('message', (m: any) => {
  const reply = (p: Promise<unknown>, type: string) =>
    p.then(
      (r) => send({ type, ...(r as object) }),
      (err: unknown) => send({ type: 'error', message: String((err as Error)?.stack ?? err) }),
    );
  if (m?.type === 'open') reply(open(m.spec as OpenSpec), 'opened');
  else if (m?.type === 'expect') reply(expectEvents(m.event, m.count, m.timeoutMs), 'received');
  else if (m?.type === 'close') {
    for (const s of socks) s.ws.terminate();
    send({ type: 'closed' });
  }
});
process.on('SIGTERM', () => process.exit(0));
send({ type: 'ready' });
