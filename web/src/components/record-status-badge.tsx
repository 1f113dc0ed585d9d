import { Badge } from '@mantine/core';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import { STATUS_COLOR } from '../lib/colors.js';

/** A student's attendance for one session: present / late / absent / excused (and pending approval). */
export function RecordStatusBadge({ record }: { record: Pick<AttendanceRecord, 'status' | 'state'> }) {
  const pending = record.state === 'pending';
  return (
    <Badge variant={pending ? 'outline' : 'light'} color={STATUS_COLOR[record.status]} data-testid="record-status" data-status={record.status} data-state={record.state}>
      {record.status}
      {pending ? ' · pending' : ''}
    </Badge>
  );
}
