/**
 * A reference client for scanning devices (docs/devices.md): posts scans to Rollbook's
 * `POST /api/attendance/scan` and keeps a local queue file so no scan is lost while the server is
 * unreachable. Node built-ins only, so a device maker can read (or copy) it whole.
 *
 * Every scan is written to the queue before it is sent and removed once the server has answered it
 * (2xx delivered, other 4xx rejected). Each scan carries a `scan_id` chosen here, so sending one
 * twice (a crash between delivery and removal, a lost response) is recognised by the server and
 * counted once: the queue gives at-least-once delivery, scan_id turns it into exactly-once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One scan as the device sends it (seed 002's body plus scan_id). */
export interface Scan {
  scan_id: string;
  student_id: string;
  /** The device's local date (YYYY-MM-DD) and time (HH:MM:SS) when it saw the student. */
  date: string;
  time: string;
}

export type ScanOutcome =
  /** 201 (new record) or 200 (duplicate: already recorded, or this scan_id was delivered before). */
  | { kind: 'delivered'; scan: Scan; status: number; duplicate: boolean; record: { id: string; status: string } | null }
  /** A 4xx the server will give again (unknown student, not enrolled, no open session…): dropped to the rejected file. */
  | { kind: 'rejected'; scan: Scan; status: number; code: string | null; detail: string | null }
  /** 401: the key is wrong or revoked. The scan stays queued; nothing more is tried. */
  | { kind: 'unauthorized'; scan: Scan; status: number; detail: string | null }
  /** Connection refused, timeout, 5xx, 408 or 429: the scan stays queued for the next attempt. */
  | { kind: 'unreachable'; scan: Scan; reason: string };

export interface FlushReport {
  delivered: number;
  created: number;
  duplicates: number;
  rejected: number;
  /** Scans still in the queue afterwards. */
  queued: number;
  /** Why the flush stopped early, if it did ('unreachable' or 'unauthorized'). */
  stoppedBy: 'unreachable' | 'unauthorized' | null;
  outcomes: ScanOutcome[];
}

export interface DeviceClientOptions {
  /** The server's base URL, e.g. http://192.168.1.10:3000. */
  url: string;
  /** The device key, rbd_…. */
  key: string;
  /** The queue file (JSON lines); rejected scans go to `<name>.rejected.jsonl` beside it. */
  queueFile: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** The time zone the device's clock shows: the institution's TIMEZONE (default: this machine's). */
  timeZone?: string;
  /** Replaces the clock (tests). */
  now?: () => Date;
  /** Called as each scan is answered (or not). */
  onOutcome?: (outcome: ScanOutcome) => void;
}

/** How many answered scans between two rewrites of the queue file. */
const REWRITE_EVERY = 50;

/** The wall-clock date and time of an instant in a time zone. */
export function localDateTime(at: Date, timeZone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '00';
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}:${get('second')}` };
}

function isScan(v: unknown): v is Scan {
  const s = v as Partial<Scan> | null;
  return !!s && typeof s.scan_id === 'string' && typeof s.student_id === 'string' && typeof s.date === 'string' && typeof s.time === 'string';
}

export class DeviceClient {
  readonly rejectedFile: string;
  private readonly timeZone: string;
  private readonly timeoutMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: DeviceClientOptions) {
    this.timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? (() => new Date());
    const { dir, name } = path.parse(options.queueFile);
    this.rejectedFile = path.join(dir, `${name}.rejected.jsonl`);
  }

  /**
   * A scan of `studentNumber` seen now (or at `at`), with a fresh scan_id. With `at` given and no
   * `scanId`, the id is derived from the number and the time, so importing the same log twice sends
   * the same ids.
   */
  makeScan(studentNumber: string, at?: { date: string; time: string }, scanId?: string): Scan {
    const when = at ?? localDateTime(this.now(), this.timeZone);
    const id =
      scanId ?? (at ? `log-${createHash('sha256').update(`${studentNumber}|${at.date}|${at.time}`).digest('hex').slice(0, 24)}` : `sim-${randomUUID()}`);
    return { scan_id: id, student_id: studentNumber, date: when.date, time: when.time };
  }

  /** The scans waiting in the queue file, oldest first (unreadable lines are skipped). */
  queued(): Scan[] {
    if (!existsSync(this.options.queueFile)) return [];
    const out: Scan[] = [];
    for (const line of readFileSync(this.options.queueFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const v: unknown = JSON.parse(line);
        if (isScan(v)) out.push({ scan_id: v.scan_id, student_id: v.student_id, date: v.date, time: v.time });
      } catch {
        // a line torn by a crash mid-write: the rest of the queue is still good
      }
    }
    return out;
  }

  /** Appends scans to the queue file (before they are sent: a crash cannot lose them). */
  enqueue(scans: Scan[]): void {
    if (scans.length === 0) return;
    mkdirSync(path.dirname(path.resolve(this.options.queueFile)), { recursive: true });
    appendFileSync(this.options.queueFile, scans.map((s) => JSON.stringify(s) + '\n').join(''));
  }

  /** Posts one scan and classifies the answer. Never throws. */
  async send(scan: Scan): Promise<ScanOutcome> {
    let res: Response;
    try {
      res = await fetch(new URL('/api/attendance/scan', this.options.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(scan),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      return { kind: 'unreachable', scan, reason: e.cause?.code ?? e.cause?.message ?? e.message ?? 'network error' };
    }
    let body: { record?: { id: string; status: string }; duplicate?: boolean; code?: string; detail?: string } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      // not JSON (a proxy's error page): classified by status alone
    }
    if (res.status >= 200 && res.status < 300) {
      return { kind: 'delivered', scan, status: res.status, duplicate: body.duplicate === true, record: body.record ?? null };
    }
    if (res.status >= 500 || res.status === 408 || res.status === 429) return { kind: 'unreachable', scan, reason: `HTTP ${res.status}` };
    if (res.status === 401) return { kind: 'unauthorized', scan, status: res.status, detail: body.detail ?? null };
    return { kind: 'rejected', scan, status: res.status, code: body.code ?? null, detail: body.detail ?? null };
  }

  /**
   * Sends what is queued (plus `scans`, queued first), oldest first, and removes each scan the server
   * answered. Stops at the first unreachable or unauthorized answer and keeps the rest queued.
   */
  async flush(scans: Scan[] = []): Promise<FlushReport> {
    const release = this.lock();
    try {
      this.enqueue(scans);
      const pending = this.queued();
      const report: FlushReport = { delivered: 0, created: 0, duplicates: 0, rejected: 0, queued: 0, stoppedBy: null, outcomes: [] };
      let answered = 0;
      for (; answered < pending.length; answered++) {
        const outcome = await this.send(pending[answered]);
        report.outcomes.push(outcome);
        this.options.onOutcome?.(outcome);
        if (outcome.kind === 'unreachable' || outcome.kind === 'unauthorized') {
          report.stoppedBy = outcome.kind;
          break;
        }
        if (outcome.kind === 'delivered') {
          report.delivered++;
          if (outcome.duplicate) report.duplicates++;
          else report.created++;
        } else {
          report.rejected++;
          appendFileSync(this.rejectedFile, JSON.stringify({ ...outcome.scan, status: outcome.status, code: outcome.code, detail: outcome.detail }) + '\n');
        }
        if ((answered + 1) % REWRITE_EVERY === 0) this.rewrite(pending.slice(answered + 1));
      }
      const rest = pending.slice(answered);
      this.rewrite(rest);
      report.queued = rest.length;
      return report;
    } finally {
      release();
    }
  }

  private rewrite(rest: Scan[]): void {
    const file = this.options.queueFile;
    if (rest.length === 0) {
      rmSync(file, { force: true });
      return;
    }
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, rest.map((s) => JSON.stringify(s) + '\n').join(''));
    renameSync(tmp, file);
  }

  /** One process at a time per queue file: another one rewriting it could drop scans this one appended. */
  private lock(): () => void {
    const lockFile = `${this.options.queueFile}.lock`;
    mkdirSync(path.dirname(path.resolve(lockFile)), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
        return () => rmSync(lockFile, { force: true });
      } catch {
        const holder = Number(readFileSync(lockFile, 'utf8'));
        if (holder && holder !== process.pid && processAlive(holder)) {
          throw new Error(`the queue ${this.options.queueFile} is in use by process ${holder}`);
        }
        rmSync(lockFile, { force: true }); // left by a process that is gone
      }
    }
    throw new Error(`could not lock ${lockFile}`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Scans from a CSV: either one student number per line (first column), or a header naming
 * `student_id` (or `student_number`) and optionally `date`, `time` and `scan_id` (a device's log).
 */
export function scansFromCsv(client: DeviceClient, text: string): Scan[] {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1')));
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.toLowerCase().replace(/[^a-z]/g, ''));
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const studentCol = col('studentid', 'studentnumber', 'student');
  if (studentCol < 0) return rows.map((r) => client.makeScan(r[0])).filter((s) => s.student_id);
  const dateCol = col('date');
  const timeCol = col('time');
  const idCol = col('scanid');
  return rows
    .slice(1)
    .filter((r) => r[studentCol])
    .map((r) => {
      const date = dateCol >= 0 ? r[dateCol] : '';
      const time = timeCol >= 0 ? r[timeCol] : '';
      return client.makeScan(r[studentCol], date && time ? { date, time: time.length === 5 ? `${time}:00` : time } : undefined, (idCol >= 0 && r[idCol]) || undefined);
    });
}
