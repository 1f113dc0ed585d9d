import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../server/config.js';
import { projectRoot } from '../server/lib/package-info.js';

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `server/main.ts` as a real process. Every Rollbook variable is blanked first (blank means
 * unset), so neither the developer's environment nor a .env file leaks into the test.
 */
function startServer(env: Record<string, string>): Started {
  const blank = Object.fromEntries(Object.keys(configSchema.shape).map((k) => [k, '']));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: projectRoot,
    env: { ...process.env, ...blank, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Polls until `check` is true; gives up (and says what it saw) when the process exits or after a long guard. */
async function waitFor(started: Started, what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  let gone = false;
  void started.exited.then(() => (gone = true));
  const guard = Date.now() + 25_000;
  while (Date.now() < guard) {
    if (await check()) return;
    if (gone) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}; output so far:\n${JSON.stringify(started.output(), null, 2)}`);
}

const running: Started[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('starting the real server', () => {
  it('serves, prints the setup link and the phones’ address, and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const started = startServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${path.join(dataDir, 'rollbook.db')}`,
      LOG_LEVEL: 'warn',
      JOBS: '0',
      WEB_DIR: path.join(dataDir, 'no-web'),
    });
    running.push(started);

    await waitFor(started, '/api/health', async () => {
      const res = await fetch(`${base}/api/health`).catch(() => null);
      return res?.status === 200;
    });
    expect(await (await fetch(`${base}/api/health`)).json()).toEqual({ ok: true });
    await waitFor(started, 'the start banner', () => started.output().stdout.includes('/setup?token='));

    const { stdout } = started.output();
    expect(stdout).toMatch(new RegExp(`Students' phones:\\s+http://\\S+:${port}`));
    // Listening on 127.0.0.1 without PUBLIC_URL: the phone address cannot work, and the banner says so.
    expect(stdout).toMatch(/WARNING: Phones cannot reach http:\/\/\S+: the server listens on 127\.0\.0\.1/);
    expect(stdout).toContain('HOST=0.0.0.0');
    const link = /(http:\/\/\S+)\/setup\?token=(\S+)/.exec(stdout);
    expect(link).not.toBeNull();
    expect(link![1]).toBe(`http://localhost:${port}`);

    // The printed token is the one the server accepts.
    expect(await (await fetch(`${base}/api/setup`)).json()).toEqual({ needed: true });
    const setup = await fetch(`${base}/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: link![2], username: 'principal', password: 'principal-password', name: 'Principal' }),
    });
    expect(setup.status).toBe(201);
    expect(await (await fetch(`${base}/api/setup`)).json()).toEqual({ needed: false });
    // No secret generated at start leaks into the output.
    expect(stdout).not.toMatch(/SECRET/);

    started.child.kill('SIGTERM');
    const exit = await started.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(started.output().stderr).not.toMatch(/Error/);
  });

  it('refuses to start on a bad setting and names it', async () => {
    const started = startServer({ PORT: 'abc' });
    running.push(started);
    const exit = await started.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const { stdout, stderr } = started.output();
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('Invalid configuration');
    expect(stdout).not.toContain('Rollbook is running');
  });
});
