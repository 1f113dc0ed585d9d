import type { AttendanceStatus } from '../../../common/attendance.schemas.js';

/**
 * The colour of each attendance state, the same in badges, roll-call buttons, counts, the grid,
 * dots and chart legends. The theme (app/theme.ts) makes every palette's variables readable, so
 * these names are all a component needs.
 */
export const STATUS_COLOR = {
  present: 'teal',
  late: 'yellow',
  absent: 'red',
  excused: 'grape',
  pending: 'indigo',
  unmarked: 'gray',
} as const satisfies Record<AttendanceStatus | 'pending' | 'unmarked', string>;

export type StatusKey = keyof typeof STATUS_COLOR;

/** The page behind cards on pages without the app shell (sign-in, link check-in): light grey, or near-black in the dark scheme. */
export const CANVAS_VAR = '--rollbook-canvas';

/** The CSS variable holding the text colour readable on `color`'s filled background (set by the theme). */
export const onFilledVar = (color: string) => `--rollbook-${color}-on-filled`;

/** A filled swatch of a status with text on it (grid cells): background and readable text colour. */
export function statusFill(status: StatusKey): { background: string; color: string } {
  const c = STATUS_COLOR[status];
  return { background: `var(--mantine-color-${c}-filled)`, color: `var(${onFilledVar(c)})` };
}

/**
 * A status's colour for marks with no text on them (dots, bars, legend swatches): the palette's
 * readable text shade, which stands out at least 4.5:1 from the page in both colour schemes.
 */
export const statusMark = (status: StatusKey) => `var(--mantine-color-${STATUS_COLOR[status]}-text)`;
