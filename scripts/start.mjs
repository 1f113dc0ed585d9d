// `npm start`: runs the server straight from its TypeScript sources through tsx (no compile step:
// `npm run typecheck` is the type gate, not the start) and builds the web app when dist/web is missing
// or older than its sources. The build runs once the server listens, so the API answers within
// seconds; until the build has written index.html, pages get a "starting" page that reloads itself
// (server/plugins/web.ts). Keeps `npm install && npm start` a two-command setup.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webOut = path.join(root, 'dist/web');

function newest(p) {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    latest = Math.max(latest, newest(path.join(p, entry.name)));
  }
  return latest;
}

const webSources = Math.max(
  ...['web', 'common', 'package.json', 'package-lock.json', 'vite.config.ts', 'postcss.config.cjs'].map((p) => newest(path.join(root, p))),
);
const webStale = newest(path.join(webOut, 'index.html')) < webSources;

const children = new Set();
let stopping = false;
function stopAll(signal) {
  stopping = true;
  for (const child of children) child.kill(signal);
}

/** Builds the web app; a failed build stops the server too (the messages are above). */
function startBuild() {
  console.log('Building the web app (first start, or its sources changed); the API answers meanwhile…');
  const started = Date.now();
  const build = spawn(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
    // A bigger young generation saves Rollup many scavenges (about 7 % of the build's CPU here).
    env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim() },
  });
  children.add(build);
  build.on('exit', (code, signal) => {
    children.delete(build);
    if (stopping) return;
    if (code === 0) {
      console.log(`Web app built in ${((Date.now() - started) / 1000).toFixed(0)} s: open the address above.`);
      return;
    }
    console.error(`Building the web app failed (${signal ?? `exit ${code}`}); see the messages above. Stopping.`);
    process.exitCode = 1;
    stopAll('SIGTERM');
  });
}

// The server only serves (and waits for) WEB_DIR when the folder exists: it sees index.html appear.
if (webStale) mkdirSync(webOut, { recursive: true });

// Node flags of every server process (`npm run bench` runs its servers with them too): a young
// generation of up to 64 MB per semi-space instead of 16 means fewer scavenges, and fewer objects of
// requests still in flight promoted to the old generation (docs/performance-history.md).
const serverFlags = JSON.parse(readFileSync(path.join(root, 'scripts/server-node-flags.json'), 'utf8'));
const server = spawn(process.execPath, [...serverFlags, '--enable-source-maps', '--import', 'tsx', path.join(root, 'server/main.ts')], {
  cwd: root,
  stdio: ['inherit', 'pipe', 'inherit'],
});
children.add(server);
// The build starts once the server listens (the banner server/main.ts prints): on a busy machine the
// two would otherwise share the CPU and the API would answer later for no gain.
let banner = '';
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (!webStale || banner === null) return;
  banner = (banner + chunk.toString()).slice(-4096);
  if (banner.includes('Rollbook is running')) {
    banner = null;
    startBuild();
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stopAll(sig));
// 'close', not 'exit': the server's last output has been passed on by then.
server.on('close', (code, signal) => {
  children.delete(server);
  // A server that stops (a bad setting, a signal) takes a running build with it.
  stopAll('SIGTERM');
  process.exit(process.exitCode || (code ?? (signal ? 1 : 0)));
});
