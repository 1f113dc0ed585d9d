import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, DepartmentsTable } from '../../db/database.js';

export type DepartmentRow = Selectable<DepartmentsTable>;
type Db = Kysely<Database>;

export function findDepartmentById(db: Db, id: string): Promise<DepartmentRow | undefined> {
  return db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A page of departments ordered by code (unique); fetches one extra row to know if there is more. */
export async function listDepartments(
  db: Db,
  f: { q?: string; limit: number; after?: string },
): Promise<{ rows: DepartmentRow[]; more: boolean }> {
  let q = db.selectFrom('departments').selectAll().orderBy('code').limit(f.limit + 1);
  if (f.after !== undefined) q = q.where('code', '>', f.after);
  if (f.q) {
    const like = `%${f.q.toLowerCase()}%`;
    q = q.where((eb) => eb.or([eb(eb.fn('lower', ['code']), 'like', like), eb(eb.fn('lower', ['name']), 'like', like)]));
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, more };
}

export async function insertDepartment(db: Db, row: DepartmentRow): Promise<void> {
  await db.insertInto('departments').values(row).execute();
}

export function updateDepartmentRow(db: Db, id: string, patch: Updateable<DepartmentsTable>): Promise<DepartmentRow | undefined> {
  return db.updateTable('departments').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteDepartmentRow(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('departments').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** How many sections and courses still belong to the department. */
export async function countDepartmentDependents(db: Db, id: string): Promise<{ sections: number; courses: number }> {
  const s = await db
    .selectFrom('sections')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('department_id', '=', id)
    .executeTakeFirstOrThrow();
  const c = await db
    .selectFrom('courses')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('department_id', '=', id)
    .executeTakeFirstOrThrow();
  return { sections: Number(s.n), courses: Number(c.n) };
}
