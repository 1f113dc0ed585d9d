/**
 * `npm run bench [-- --quick] [-- --only <scenario>[,<scenario>]] [-- --profile]`
 *
 * Builds the server if dist/ is stale, then runs each scenario against real server processes and
 * prints ONE JSON line per scenario on stdout (progress goes to stderr). Exits non-zero when a
 * scenario lost, duplicated or failed anything (`ok: false`) or could not run. Targets that are
 * missed are reported (`target.met: false`) but do not fail the run. See docs/performance.md.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureServerBuilt } from './harness.js';
import { formatProfile, summariseProfile } from './profile.js';
import { runScenario, SCENARIOS, type ScenarioName, SIZES } from './scenarios.js';

function usage(): never {
  console.error(`usage: npm run bench -- [--quick] [--only ${SCENARIOS.join('|')}[,…]] [--profile]
  --quick    small sizes (under a minute)
  --only     run only these scenarios
  --profile  run checkin-throughput with the server under --cpu-prof and print where its time goes
  --requests N  check-ins per checkin-throughput run (default 20000, quick 2000)
  BENCH_SERVER_ROOT=<dir> measures the server built in another checkout (before/after comparisons)`);
  process.exit(2);
}

const args = process.argv.slice(2);
let quick = false;
let profile = false;
let only: ScenarioName[] | null = null;
let requests: number | null = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--quick') quick = true;
  else if (a === '--profile') profile = true;
  else if (a === '--only' || a.startsWith('--only=')) {
    const v = a.includes('=') ? a.slice(7) : args[++i];
    if (!v) usage();
    only = v.split(',').map((s) => s.trim()) as ScenarioName[];
    for (const s of only) if (!SCENARIOS.includes(s)) usage();
  } else if (a === '--requests') {
    requests = Number(args[++i]);
    if (!Number.isInteger(requests) || requests < 10) usage();
  } else if (a === '--help' || a === '-h') usage();
  else usage();
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

async function main() {
  const started = Date.now();
  ensureServerBuilt(log);
  const preset = quick ? SIZES.quick : SIZES.full;
  const sizes = requests ? { ...preset, checkin: { ...preset.checkin, requests } } : preset;
  let failed = 0;

  if (profile) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-cpuprof-'));
    const scenario = only?.[0] ?? 'checkin-throughput';
    log(`profiling ${scenario}: CPU profile of the server in ${dir}`);
    const result = await runScenario(scenario, { sizes, mode: 'dist', log, cpuProfDir: dir });
    console.log(JSON.stringify(result));
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) throw new Error('no .cpuprofile was written');
    const file = path.join(dir, files[0]);
    console.error(`\nCPU profile: ${file} (open it in Chrome DevTools → Performance, or speedscope)\n`);
    console.error(formatProfile(summariseProfile(file)));
    process.exit(result.ok ? 0 : 1);
  }

  for (const name of only ?? SCENARIOS) {
    const t0 = Date.now();
    log(`${name}…`);
    try {
      const result = await runScenario(name, { sizes, mode: 'dist', log });
      console.log(JSON.stringify(result));
      if (!result.ok) {
        failed++;
        log(`${name}: FAILED — something was lost, duplicated or refused (see correctness)`);
      } else if (!result.target.met) {
        log(`${name}: correct, but the target is not met (${result.target.goal})`);
      }
    } catch (err) {
      failed++;
      console.log(JSON.stringify({ scenario: name, ok: false, error: String((err as Error)?.message ?? err) }));
      log(`${name}: could not run: ${String((err as Error)?.stack ?? err)}`);
    }
    log(`${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s${failed ? `; ${failed} scenario(s) FAILED` : ''}`);
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
