/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package, so
 * `npm run bench -- --profile` can say where the server's time goes.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileRow {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time the process was busy (everything but "(idle)"). */
  busyMs: number;
  functions: ProfileRow[];
  groups: ProfileRow[];
}

/** Where a frame comes from: a package in node_modules, a file of ours, node: internals, or V8 itself. */
function groupOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const ours = /\/(server|common)\/(.*)$/.exec(url);
  if (ours) return `${ours[1]}/${ours[2].replace(/\.(js|ts)$/, '')}`;
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const ours = /\/((?:dist\/)?(?:server|common)\/.*)$/.exec(url);
  return ours ? ours[1] : url.replace(/^file:\/\//, '');
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to the sample (standard practice).
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const fn = new Map<string, ProfileRow>();
  const grp = new Map<string, ProfileRow>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') idle += us;
    const key = `${name}|${url}|${lineNumber}`;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const row = fn.get(key) ?? { name, where, selfMs: 0, share: 0 };
    row.selfMs += us / 1000;
    fn.set(key, row);
    const g = groupOf(url, name);
    const grow = grp.get(g) ?? { name: g, where: '', selfMs: 0, share: 0 };
    grow.selfMs += us / 1000;
    grp.set(g, grow);
  }
  const busy = total - idle;
  const finish = (rows: ProfileRow[]) =>
    rows
      .filter((r) => r.name !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((r) => ({ ...r, selfMs: Math.round(r.selfMs), share: Math.round((r.selfMs / (busy / 1000)) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), functions: finish([...fn.values()]), groups: finish([...grp.values()]) };
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [`busy ${s.busyMs} ms of ${s.totalMs} ms profiled`, '', 'self time by package / file:'];
  for (const g of s.groups) lines.push(`  ${g.share.toFixed(1).padStart(5)}%  ${String(g.selfMs).padStart(6)} ms  ${g.name}`);
  lines.push('', 'top functions by self time:');
  for (const f of s.functions) lines.push(`  ${f.share.toFixed(1).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}  ${f.where}`);
  return lines.join('\n');
}
