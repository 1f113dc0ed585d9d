import pg from 'pg';
import fs from 'node:fs';
const plain = fs.readFileSync('/tmp/plain.sql', 'utf8');
const batched = fs.readFileSync('/tmp/batched.sql', 'utf8');
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1/rbtry' });
await c.connect();
const now = new Date().toISOString();
await c.query('delete from enrollments; delete from sessions; delete from courses; delete from users');
await c.query(`insert into users (id, username, name, role, active, student_number, created_at, updated_at) select 'u'||g, 'user'||g, 'User '||g, 'student', 1, 'N'||g, $1, $1 from generate_series(1,2000) g`, [now]);
await c.query(`insert into courses (id, code, name, created_at, updated_at) values ('c1','C1','Course',$1,$1)`, [now]);
await c.query(`insert into sessions (id, course_id, starts_at, ends_at, state, policy, created_at, updated_at) values ('s1','c1',$1,$1,'open','{}',$1,$1)`, [now]);
await c.query(`insert into enrollments (course_id, student_id, method, created_at) select 'c1', 'u'||g, 'manual', $1 from generate_series(1,2000) g`, [now]);
await c.query('analyze');
const pid = (await c.query('select pg_backend_pid() as p')).rows[0].p;
const cpu = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const G = 20, R = 300;
async function singles(r) {
  await c.query('begin');
  const ps = [];
  for (let k = 0; k < G; k++) { const u = 'u' + ((r * G + k) % 2000 + 1); ps.push(c.query({ name: 'plain', text: plain, values: ['s1', null, u, 'c1', true, true] })); }
  await Promise.all(ps); await c.query('commit');
}
async function batch(r) {
  await c.query('begin');
  const us = Array.from({ length: G }, (_, k) => 'u' + ((r * G + k) % 2000 + 1));
  await c.query({ name: 'batched', text: batched, values: [us.map(() => 's1'), us.map(() => null), us, us.map(() => 'c1'), us.map(() => true), us.map(() => true)] });
  await c.query('commit');
}
for (const [name, fn] of [['singles', singles], ['batched', batch], ['singles', singles], ['batched', batch]]) {
  for (let r = 0; r < 50; r++) await fn(r);
  const p0 = cpu(), c0 = process.cpuUsage(), t0 = performance.now();
  for (let r = 0; r < R; r++) await fn(r);
  const cc = process.cpuUsage(c0);
  console.log(name, 'pg ms per check-in', ((cpu() - p0) / (R * G)).toFixed(4), 'client ms', ((cc.user + cc.system) / 1000 / (R * G)).toFixed(4), 'wall ms', ((performance.now() - t0) / (R * G)).toFixed(4));
}
await c.end();
