import SQLite from 'better-sqlite3';
import { openDatabase, migrateToLatest } from '/work/main/server/db/kysely.js';
import { newId } from '/work/main/server/lib/ids.js';
const file = `/tmp/sqlbench/db-${process.argv[2]}.db`;
for (const f of [file, file + '-wal', file + '-shm']) { try { (await import('node:fs')).rmSync(f); } catch {} }
const h = openDatabase('sqlite:' + file);
await migrateToLatest(h.db);
await h.db.destroy();
const db = new SQLite(file);
db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('foreign_keys = ON');
const ckpt = Number(process.argv[3] ?? 1000); db.pragma(`wal_autocheckpoint = ${ckpt}`);
const batch = Number(process.argv[4] ?? 1);
const bg = Number(process.argv[5] ?? 0);
let worker;
if (bg) {
  const { Worker } = await import('node:worker_threads');
  worker = new Worker(`const { workerData } = require('node:worker_threads'); const D = require('better-sqlite3'); const db = new D(workerData.file); db.pragma('busy_timeout = 5000');
    setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { console.error(e.message); } }, workerData.bg);`, { eval: true, workerData: { file, bg } });
}
const now = new Date().toISOString();
db.prepare(`insert into users (id, role, username, name, active, created_at, updated_at) values ('u0','teacher','t','t',1,?,?)`).run(now, now);
db.prepare(`insert into courses (id, code, name, threshold_percent, late_after_minutes, created_at, updated_at) values ('c','C','C',75,10,?,?)`).run(now, now);
const sessions = Array.from({length: 10}, (_, i) => 's' + i);
for (const s of sessions) db.prepare(`insert into sessions (id, course_id, number, starts_at, ends_at, state, policy, version, created_at, updated_at) values (?, 'c', 1, ?, ?, 'open', '{}', 1, ?, ?)`).run(s, now, now, now, now);
const N = 20000;
const users = [];
const ins = db.prepare(`insert into users (id, role, username, name, active, created_at, updated_at) values (?, 'student', ?, ?, 1, ?, ?)`);
db.transaction(() => { for (let i = 0; i < N; i++) { const id = newId(); users.push(id); ins.run(id, 'u' + i, 'n' + i, now, now); } })();
const rec = db.prepare(`insert into attendance_records (id, session_id, student_id, status, state, method, checked_in_at, updated_at, updated_by, note, flags, browser_id, version) values (?,?,?,?,?,?,?,?,?,?,?,?,?) on conflict (session_id, student_id) do nothing`);
const aud = db.prepare(`insert into audit_events (id, at, actor_id, action, entity, entity_id, session_id, student_id, before, after, reason) values (?,?,?,?,?,?,?,?,?,?,?)`);
const sel = db.prepare(`select state from sessions where id = ?`);
const begin = db.prepare('begin immediate'); const commit = db.prepare('commit');
const commits = [];
const t0 = performance.now();
for (let i = 0; i < N; i += batch) {
  begin.run();
  for (let j = i; j < Math.min(N, i + batch); j++) {
    const s = sessions[j % 10];
    sel.get(s);
    const id = newId();
    rec.run(id, s, users[j], 'present', 'confirmed', 'code', now, now, users[j], null, '[]', 'b' + j, 1);
    aud.run(newId(), now, users[j], 'record.checked_in', 'record', id, s, users[j], null, JSON.stringify({ id, s, x: 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' }), null);
  }
  const c0 = performance.now();
  commit.run();
  const cd = performance.now() - c0;
  commits.push(cd);
}
const ms = performance.now() - t0;
if (worker) await worker.terminate();
console.log(`bg=${bg} ckpt=${ckpt} batch=${batch}: ${(ms / N * 1000).toFixed(1)} µs per check-in, wal ${(await import('node:fs')).statSync(file + '-wal').size >> 20} MB; commit max ${Math.max(...commits).toFixed(1)} ms, >5ms: ${commits.filter(c => c > 5).length}, total ${commits.reduce((a,b)=>a+b,0).toFixed(0)} ms`);
