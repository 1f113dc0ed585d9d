import { useCallback, useEffect, useRef } from 'react';
import { Stack } from '@mantine/core';
import type { AttendanceStatus } from '../../../../../common/attendance.schemas.js';
import { STATUS_BY_KEY } from './statuses.js';
import { StudentRow, type RosterRow } from './student-row.js';

interface RollCallGridProps {
  rows: RosterRow[];
  activeId: string | null;
  onActiveChange: (studentId: string) => void;
  onMark: (row: RosterRow, status: AttendanceStatus) => void;
  onEdit: (row: RosterRow) => void;
  /** False while a dialog is open: its keys are its own. */
  keyboard: boolean;
}

/** Keys typed into a field, a menu or a dialog are not shortcuts. */
function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target.closest('input, textarea, select, [role="dialog"], [role="menu"], [role="listbox"]')) return true;
  return false;
}

/**
 * The roster as a list of rows with one active row. Shortcuts anywhere on the page (outside fields):
 * ↓ / J next, ↑ / K previous, Home / End, P / L / A / E mark the active row and move to the next,
 * Enter opens its record.
 */
export function RollCallGrid({ rows, activeId, onActiveChange, onMark, onEdit, keyboard }: RollCallGridProps) {
  const rowEls = useRef(new Map<string, HTMLDivElement>());
  // One stable ref callback per student, so rows that did not change are not re-rendered.
  const refCallbacks = useRef(new Map<string, (el: HTMLDivElement | null) => void>());
  const refFor = (studentId: string) => {
    let cb = refCallbacks.current.get(studentId);
    if (!cb) {
      cb = (el) => {
        if (el) rowEls.current.set(studentId, el);
        else rowEls.current.delete(studentId);
      };
      refCallbacks.current.set(studentId, cb);
    }
    return cb;
  };
  // Where the active row was: if it leaves the list (filtered out), its neighbour takes over.
  const lastIndex = useRef(0);
  const activeIndex = rows.findIndex((r) => r.studentId === activeId);
  if (activeIndex >= 0) lastIndex.current = activeIndex;

  const latest = useRef({ rows, activeIndex, onActiveChange, onMark, onEdit });
  latest.current = { rows, activeIndex, onActiveChange, onMark, onEdit };

  const moveTo = useCallback((index: number) => {
    const { rows: list, onActiveChange: change } = latest.current;
    if (list.length === 0) return;
    const row = list[Math.max(0, Math.min(list.length - 1, index))];
    change(row.studentId);
    const el = rowEls.current.get(row.studentId);
    if (el) {
      el.focus({ preventScroll: true });
      el.scrollIntoView({ block: 'nearest' });
    }
  }, []);

  useEffect(() => {
    if (!keyboard) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTypingTarget(event.target)) return;
      const { rows: list, activeIndex: index, onMark: mark, onEdit: edit } = latest.current;
      if (list.length === 0) return;
      // No active row in view: the first key picks the row where the last one was.
      const here = index >= 0 ? index : Math.min(lastIndex.current, list.length - 1);
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      const status = STATUS_BY_KEY[key];
      if (status) {
        event.preventDefault();
        mark(list[here], status);
        moveTo(here + 1);
        return;
      }
      switch (key) {
        case 'ArrowDown':
        case 'j':
          event.preventDefault();
          moveTo(index >= 0 ? here + 1 : here);
          return;
        case 'ArrowUp':
        case 'k':
          event.preventDefault();
          moveTo(index >= 0 ? here - 1 : here);
          return;
        case 'Home':
          event.preventDefault();
          moveTo(0);
          return;
        case 'End':
          event.preventDefault();
          moveTo(list.length - 1);
          return;
        case 'Enter': {
          // Enter on a button is that button's; on a row (or nowhere) it opens the active record.
          const target = event.target as HTMLElement | null;
          if (target && target !== document.body && target.getAttribute('data-testid') !== 'roll-call-row') return;
          event.preventDefault();
          edit(list[here]);
          return;
        }
        default:
          return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [keyboard, moveTo]);

  return (
    <Stack gap={6} role="list" aria-label="Roster" data-testid="roll-call-grid">
      {rows.map((row) => (
        <StudentRow
          key={row.studentId}
          ref={refFor(row.studentId)}
          row={row}
          active={row.studentId === activeId}
          onActivate={onActiveChange}
          onMark={onMark}
          onEdit={onEdit}
        />
      ))}
    </Stack>
  );
}
