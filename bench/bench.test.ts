import { describe, expect, it } from 'vitest';
import { percentiles } from './harness.js';
import { runScenario, type ScenarioResult, SIZES } from './scenarios.js';

/**
 * The bench harness itself, end to end at tiny sizes, so `npm run bench` cannot rot: real server
 * processes (from source through tsx, so no build is needed), autocannon and socket clients in child
 * processes, the same correctness checks. Assertions are on counts only, never on timings.
 * SQLite only; the PostgreSQL and two-node scenarios run in `npm run bench`.
 */
const ctx = { sizes: SIZES.tiny, mode: 'source' as const, log: () => {} };

function expectLine(r: ScenarioResult) {
  expect(r).toMatchObject({
    requests: expect.any(Number),
    rps: expect.any(Number),
    latency: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
    baseline: { rps: expect.any(Number), p99: expect.any(Number) },
    loadgenCpu: { userMs: expect.any(Number), systemMs: expect.any(Number) },
    target: { goal: expect.any(String), met: expect.any(Boolean) },
  });
  // One JSON line: it must survive serialisation.
  expect(JSON.parse(JSON.stringify(r)).scenario).toBe(r.scenario);
}

describe('bench harness (tiny sizes)', () => {
  it('checkin-throughput: every acknowledged check-in is exactly one row with its audit event', async () => {
    const n = SIZES.tiny.checkin.requests;
    const r = await runScenario('checkin-throughput', ctx);
    expectLine(r);
    expect(r.correctness).toMatchObject({
      responses201: n,
      rowsInDb: n,
      auditEvents: n,
      duplicateRows: 0,
      acknowledgedMissingFromDb: 0,
      distinctStudents: true,
    });
    expect(r.requests).toBe(n);
    expect(r.errors).toBe(0);
    expect(r.ok).toBe(true);
  }, 90_000);

  it('lecture-burst: the teacher’s socket receives every check-in exactly once, in every round', async () => {
    const { students: n, rounds } = SIZES.tiny.burst;
    expect(rounds).toBeGreaterThan(1);
    const r = await runScenario('lecture-burst', ctx);
    expectLine(r);
    expect(r.correctness).toMatchObject({
      acknowledged: n * rounds,
      rowsInDb: n * rounds,
      eventsReceived: n * rounds,
      duplicateEvents: 0,
      eventsForUnknownRecords: 0,
      acknowledgedWithoutEvent: 0,
      status: { '201': n * rounds },
      spread: { acknowledged: n, rowsInDb: n, eventsReceived: n, duplicateEvents: 0 },
    });
    expect((r.fanout as { events: number }).events).toBe(n);
    const perRound = r.rounds as { p99: number; baselineP99: number; p99Ratio: number }[];
    expect(perRound).toHaveLength(rounds);
    // The headline figures are one of the rounds (the median one by p99 ratio).
    expect(perRound.some((x) => x.p99 === r.latency.p99 && x.p99Ratio === r.p99Ratio && x.baselineP99 === r.baseline.p99)).toBe(true);
    expect(r.ok).toBe(true);
  }, 90_000);

  it('sockets: one broadcast reaches every idle socket once', async () => {
    const n = SIZES.tiny.sockets.sockets;
    const r = await runScenario('sockets', ctx);
    expectLine(r);
    expect(r.correctness).toMatchObject({ opened: n, failed: 0, received: n, duplicates: 0, checkinStatus: 201 });
    expect(r.memory).toMatchObject({ perSocketKB: expect.any(Number) });
    expect(r.ok).toBe(true);
  }, 90_000);

  it('report: session summary and records match what was seeded', async () => {
    const r = await runScenario('report', ctx);
    expectLine(r);
    expect(r.correctness).toMatchObject({ summaryMatchesSeed: true, recordsComplete: true });
    expect(r.errors).toBe(0);
    expect(r.ok).toBe(true);
  }, 90_000);

  it('open-sessions: check-ins among few and many open sessions all land once in the right session', async () => {
    const { requests, rounds } = SIZES.tiny.openSessions;
    const r = await runScenario('open-sessions', ctx);
    expectLine(r);
    const total = requests * rounds * 2;
    expect(r.correctness).toMatchObject({ responses201: total, rowsInDb: total, auditEvents: total, duplicateRows: 0, acknowledgedMissingFromDb: 0 });
    expect((r.phases as { openSessions: number }[]).map((p) => p.openSessions)).toEqual([20, SIZES.tiny.openSessions.many]);
    expect(r.ok).toBe(true);
  }, 90_000);

  it('percentiles are nearest-rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(values)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100 });
  });
});
