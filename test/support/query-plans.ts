// Query plans for the tests that check a read finds its rows by an index (and keeps doing so as the
// tables grow), on either dialect.
import { CompiledQuery, sql } from 'kysely';
import type { TestContext } from './test-app.js';

/** A node of PostgreSQL's `explain (format json)` plan. */
export interface PlanNode {
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Node Type': string;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** The node and every node under it. */
export const planNodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(planNodes)];

type Compiled = { sql: string; parameters: readonly unknown[] };

/** Values as SQL literals for `postgresGenericPlan`'s arguments: strings quoted, the rest as written. */
export const sqlLiterals = (values: readonly (string | boolean | null)[]) =>
  values.map((v) => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v))).join(', ');

/**
 * PostgreSQL: `statement` (with `$n` parameters) prepared and run once with `argsText`, planned as a
 * reused prepared statement is (generic), with the statistics the database has now.
 */
export function postgresGenericPlan(ctx: TestContext, statement: string, argsText: string): Promise<PlanNode[]> {
  return ctx.db.connection().execute(async (conn) => {
    await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
    try {
      await sql.raw(`prepare plan_under_test as ${statement}`).execute(conn);
      const { rows } = await sql.raw<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`explain (analyze, format json) execute plan_under_test(${argsText})`).execute(conn);
      return planNodes(rows[0]['QUERY PLAN'][0].Plan);
    } finally {
      // Only this statement: the server's own prepared statements on the connection stay.
      await sql`deallocate plan_under_test`.execute(conn);
      await sql`reset plan_cache_mode`.execute(conn);
    }
  });
}

/**
 * PostgreSQL: a query's plan with sequential scans off. A test's tables are small enough to be read
 * whole; the question is which index the planner turns to as they grow.
 */
export function postgresIndexPlan(ctx: TestContext, q: Compiled): Promise<PlanNode[]> {
  return ctx.db.connection().execute(async (conn) => {
    await sql`set enable_seqscan = off`.execute(conn);
    try {
      const { rows } = await conn.executeQuery<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(CompiledQuery.raw(`explain (analyze, format json) ${q.sql}`, [...q.parameters]));
      return planNodes(rows[0]['QUERY PLAN'][0].Plan);
    } finally {
      await sql`reset enable_seqscan`.execute(conn);
    }
  });
}

/** SQLite: the lines of `explain query plan`. */
export async function sqlitePlan(ctx: TestContext, q: Compiled): Promise<string[]> {
  const { rows } = await ctx.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]));
  return rows.map((r) => r.detail);
}

/** Plan nodes that read more than a handful of rows only to filter them away. */
export const filteringNodes = (plan: PlanNode[]) => plan.filter((n) => (n['Rows Removed by Filter'] ?? 0) > 5).map((n) => `${n['Relation Name']} ${n['Index Name'] ?? ''}`);
