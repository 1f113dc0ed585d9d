/**
 * A scanning device on the command line (docs/devices.md):
 *
 *   npm run device -- --url http://host:3000 --key rbd_… [--queue ./device-queue.jsonl]
 *                     [--retry-seconds N] [--timeout-ms N] [--timezone Area/City] <student numbers… | file.csv | ->
 *
 * Posts each student number as a scan (with a fresh scan_id and the local date and time of the
 * scan), like a kiosk. Scans the server cannot take now (unreachable, 5xx) stay in the queue file and
 * are replayed, with their original scan_ids and times, on the next run or every N seconds with
 * --retry-seconds. With no student numbers it only replays the queue.
 *
 * Exit status: 0 everything delivered, 1 usage error or some scans rejected, 2 scans left queued.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DeviceClient, scansFromCsv, type FlushReport, type Scan, type ScanOutcome } from './device-client.js';

const USAGE = `usage: npm run device -- --url http://host:3000 --key rbd_… [--queue ./device-queue.jsonl]
                         [--retry-seconds N] [--timeout-ms N] [--timezone Area/City]
                         <student numbers… | file.csv | - (stdin)>
The key may also come from ROLLBOOK_DEVICE_KEY, the URL from ROLLBOOK_URL.`;

function describe(o: ScanOutcome): string {
  const who = `${o.scan.student_id.padEnd(12)} ${o.scan.date} ${o.scan.time}`;
  switch (o.kind) {
    case 'delivered':
      return `${who}  ${o.status} ${o.record?.status ?? ''}${o.duplicate ? ' (duplicate)' : ''}`;
    case 'rejected':
      return `${who}  ${o.status} rejected: ${o.code ?? ''} ${o.detail ?? ''}`.trimEnd();
    case 'unauthorized':
      return `${who}  401: ${o.detail ?? 'the device key is wrong or revoked'}; kept in the queue`;
    case 'unreachable':
      return `${who}  server unreachable (${o.reason}); queued`;
  }
}

function summary(r: FlushReport): string {
  return `delivered ${r.delivered} (new ${r.created}, duplicate ${r.duplicates}), rejected ${r.rejected}, queued ${r.queued}`;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        queue: { type: 'string', default: './device-queue.jsonl' },
        'retry-seconds': { type: 'string', default: '0' },
        'timeout-ms': { type: 'string', default: '10000' },
        timezone: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const url = values.url ?? process.env.ROLLBOOK_URL;
  const key = values.key ?? process.env.ROLLBOOK_DEVICE_KEY;
  const retrySeconds = Number(values['retry-seconds']);
  const timeoutMs = Number(values['timeout-ms']);
  if (!url || !key || !Number.isFinite(retrySeconds) || retrySeconds < 0 || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error(USAGE);
    return 1;
  }
  if (values.timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: values.timezone });
    } catch {
      console.error(`--timezone: unknown time zone ${values.timezone}`);
      return 1;
    }
  }

  const client = new DeviceClient({
    url,
    key,
    queueFile: values.queue,
    timeoutMs,
    timeZone: values.timezone,
    onOutcome: (o) => console.log(describe(o)),
  });

  const scans: Scan[] = [];
  for (const arg of positionals) {
    if (arg === '-') scans.push(...scansFromCsv(client, readFileSync(0, 'utf8')));
    else if (/\.(csv|txt)$/i.test(arg)) scans.push(...scansFromCsv(client, readFileSync(arg, 'utf8')));
    else scans.push(client.makeScan(arg));
  }
  const replaying = client.queued().length;
  if (replaying > 0) console.log(`replaying ${replaying} queued scan(s) from ${values.queue}`);

  let report = await client.flush(scans);
  const total = { ...report };
  while (report.queued > 0 && report.stoppedBy === 'unreachable' && retrySeconds > 0) {
    console.log(`${report.queued} scan(s) queued; retrying in ${retrySeconds} s (Ctrl-C to stop: the queue is kept)`);
    await sleep(retrySeconds * 1000);
    report = await client.flush();
    total.delivered += report.delivered;
    total.created += report.created;
    total.duplicates += report.duplicates;
    total.rejected += report.rejected;
  }
  const rejected = total.rejected;
  console.log(summary({ ...total, queued: report.queued }));
  if (report.stoppedBy === 'unauthorized') console.error('the server refused the device key (401): check it, or ask an admin for a new one');
  if (rejected > 0) console.error(`rejected scans were kept in ${client.rejectedFile}`);
  if (report.queued > 0) return 2;
  return rejected > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error((err as Error).message);
    process.exitCode = 1;
  },
);
