import type { AttendanceStatus, RecordMethod } from '../../../../../common/attendance.schemas.js';
import { STATUS_COLOR } from '../../../lib/colors.js';

export interface StatusOption {
  status: AttendanceStatus;
  label: string;
  /** The keyboard shortcut, lower case. */
  key: string;
  color: string;
}

/** The four marks, in the order of the buttons and their keys (P / L / A / E). */
export const STATUS_OPTIONS: StatusOption[] = [
  { status: 'present', label: 'Present', key: 'p', color: STATUS_COLOR.present },
  { status: 'late', label: 'Late', key: 'l', color: STATUS_COLOR.late },
  { status: 'absent', label: 'Absent', key: 'a', color: STATUS_COLOR.absent },
  { status: 'excused', label: 'Excused', key: 'e', color: STATUS_COLOR.excused },
];

export const STATUS_BY_KEY: Record<string, AttendanceStatus> = Object.fromEntries(STATUS_OPTIONS.map((o) => [o.key, o.status]));

export const STATUS_LABEL: Record<AttendanceStatus, string> = Object.fromEntries(STATUS_OPTIONS.map((o) => [o.status, o.label])) as Record<
  AttendanceStatus,
  string
>;

export const METHOD_LABEL: Record<RecordMethod, string> = {
  code: 'typed code',
  qr: 'QR scan',
  link: 'check-in link',
  rollcall: 'roll call',
  device: 'device scan',
  auto: 'closed unmarked',
  absence: 'absence request',
};

/** "AL" for "Ada Lovelace": the roster has no photos. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase() || '?';
}

const AVATAR_COLORS = ['blue', 'cyan', 'teal', 'green', 'lime', 'orange', 'pink', 'grape', 'violet', 'indigo'];

/** A stable colour per person, so a face-less roster is still easy to scan. */
export function avatarColor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return AVATAR_COLORS[h % AVATAR_COLORS.length];
}
