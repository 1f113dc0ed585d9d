import { z } from 'zod';
import { LIMITS } from './limits.js';

export const idSchema = z.string().min(1).max(64);
/**
 * Years an attendance system can mean. Far-off years (9999-12-31 plus a day, or a negative offset)
 * leave the four-digit ISO format and broke date arithmetic with a RangeError: refuse them up front.
 */
export const YEAR_MIN = 1900;
export const YEAR_MAX = 2999;
const plausibleYear = (v: string) => {
  const y = Number(v.slice(0, 4));
  return y >= YEAR_MIN && y <= YEAR_MAX;
};
const yearMessage = `the year must be between ${YEAR_MIN} and ${YEAR_MAX}`;
export const isoDateTime = z.iso.datetime({ offset: true }).refine(plausibleYear, yearMessage);
/** A calendar date `YYYY-MM-DD`. */
export const isoDate = z.iso.date().refine(plausibleYear, yearMessage);

export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(200).optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const idParams = z.object({ id: idSchema });
