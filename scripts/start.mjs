// `npm start`: builds the server and the web app when they are missing or older than their sources,
// then runs the compiled server. Keeps `npm install && npm start` a two-command setup.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function newest(dir) {
  let latest = 0;
  if (!existsSync(dir)) return latest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
const sharedSources = Math.max(newest(path.join(root, 'common')), mtime(path.join(root, 'package.json')));

const targets = [
  {
    script: 'build:server',
    output: path.join(root, 'dist/server/main.js'),
    sources: Math.max(sharedSources, newest(path.join(root, 'server'))),
  },
  {
    script: 'build:web',
    output: path.join(root, 'dist/web/index.html'),
    sources: Math.max(sharedSources, newest(path.join(root, 'web')), mtime(path.join(root, 'vite.config.ts'))),
  },
];

for (const t of targets) {
  if (mtime(t.output) >= t.sources) continue;
  console.log(`Building (${t.script})…`);
  const r = spawnSync(npm, ['run', '--silent', t.script], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm run ${t.script} failed; see the messages above.`);
    process.exit(r.status ?? 1);
  }
}

const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist/server/main.js')], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
