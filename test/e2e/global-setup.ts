import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEB_DIR = path.join(root, 'dist/web');

/** The newest modification time among the files the web build is made from. */
function newestSource(): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const entry of readdirSync(p)) if (entry !== 'node_modules') visit(path.join(p, entry));
    } else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of ['web', 'common', 'vite.config.ts', 'postcss.config.cjs', 'package-lock.json']) visit(path.join(root, p));
  return newest;
}

/**
 * Builds the SPA once per run when dist/web is missing or older than its sources, so the server
 * under test serves exactly what `npm run build:web` would ship.
 */
export default function setup() {
  const index = path.join(WEB_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource()) return;
  const started = Date.now();
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal}); the browser tests need dist/web`);
  console.log(`[rollbook e2e] built the web app in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
