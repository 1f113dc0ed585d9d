import { PassThrough, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import PDFDocument from 'pdfkit';
import type { CourseGrid, CourseReport } from '../../../common/report.schemas.js';
import { zoneOffsetMs } from '../../lib/timezone.js';

type RecordLine = {
  number: number | null;
  starts_at: string;
  student_number: string | null;
  name: string;
  status: string;
  state: string;
  method: string;
  checked_in_at: string | null;
  note: string | null;
};

/**
 * A spreadsheet has no time zones: dates go in as the institution's wall-clock time, which is what a
 * registrar expects to read ("09:00", not "08:00Z").
 */
export function wallClock(iso: string, timeZone: string): Date {
  const ms = Date.parse(iso);
  return new Date(ms + zoneOffsetMs(timeZone, ms));
}

const STATUS_LETTER: Record<string, string> = { present: 'P', late: 'L', absent: 'A', excused: 'E' };
const STATUS_FILL: Record<string, string> = { present: 'FFC3E6CB', late: 'FFFFE8A1', absent: 'FFF5C2C7', excused: 'FFE2D9F3' };
const percentFraction = (p: number | null) => (p === null ? null : p / 100);

/**
 * The course report as XLSX, streamed sheet by sheet (exceljs' streaming writer): Summary (one row per
 * student, percentages as numbers formatted as %), Grid (students × held sessions, dates as dates),
 * Records (every record; read page by page from `records`, so memory stays flat).
 */
export function courseReportXlsx(
  report: CourseReport,
  grid: CourseGrid,
  records: AsyncIterable<RecordLine>,
  timeZone: string,
  onError: (err: unknown) => void,
): Readable {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'Rollbook';
  wb.created = new Date();
  (async () => {
    const summary = wb.addWorksheet('Summary');
    summary.columns = [
      { header: 'Student number', key: 'number', width: 16 },
      { header: 'Name', key: 'name', width: 28 },
      { header: 'Held', key: 'held', width: 8 },
      { header: 'Present', key: 'present', width: 9 },
      { header: 'Late', key: 'late', width: 8 },
      { header: 'Absent', key: 'absent', width: 9 },
      { header: 'Excused', key: 'excused', width: 9 },
      { header: 'Attendance', key: 'percentage', width: 12, style: { numFmt: '0.0%' } },
      { header: 'Below threshold', key: 'below', width: 16 },
    ];
    summary.getRow(1).font = { bold: true };
    summary.getRow(1).commit();
    for (const i of report.items) {
      summary
        .addRow({
          number: i.student.studentNumber,
          name: i.student.name,
          held: i.total,
          present: i.present,
          late: i.late,
          absent: i.absent,
          excused: i.excused,
          percentage: percentFraction(i.percentage),
          below: i.belowThreshold,
        })
        .commit();
    }
    summary.addRow([]).commit();
    const foot: [string, string | number | null, string?][] = [
      ['Course', `${report.course.code} ${report.course.name}`],
      ['Threshold', report.course.thresholdPercent / 100, '0%'],
      ['Held sessions', report.sessions],
      ['Students', report.summary.students],
      ['Average attendance', percentFraction(report.summary.averagePercentage), '0.0%'],
      ['Below threshold', report.summary.belowThreshold],
    ];
    for (const [label, value, numFmt] of foot) {
      const row = summary.addRow([label, value]);
      row.getCell(1).font = { bold: true };
      if (numFmt) row.getCell(2).numFmt = numFmt;
      row.commit();
    }
    await summary.commit();

    const sheet = wb.addWorksheet('Grid', { views: [{ state: 'frozen', xSplit: 2, ySplit: 2 }] });
    sheet.columns = [{ width: 16 }, { width: 28 }, ...grid.sessions.map(() => ({ width: 11 })), { width: 12 }];
    const head = sheet.addRow(['Student number', 'Name', ...grid.sessions.map((s) => `#${s.number}`), 'Attendance']);
    head.font = { bold: true };
    head.commit();
    const dates = sheet.addRow(['', 'Session date', ...grid.sessions.map((s) => wallClock(s.startsAt, timeZone))]);
    for (let j = 0; j < grid.sessions.length; j++) dates.getCell(3 + j).numFmt = 'yyyy-mm-dd';
    dates.font = { italic: true };
    dates.commit();
    for (const s of grid.students) {
      const row = sheet.addRow([s.student.studentNumber, s.student.name, ...s.cells.map((c) => (c ? STATUS_LETTER[c] : null)), percentFraction(s.percentage)]);
      s.cells.forEach((c, j) => {
        if (c) row.getCell(3 + j).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: STATUS_FILL[c] } };
      });
      row.getCell(3 + grid.sessions.length).numFmt = '0.0%';
      row.commit();
    }
    const perSession = sheet.addRow(['', 'Session attendance', ...grid.sessions.map((s) => percentFraction(s.percentage))]);
    for (let j = 0; j < grid.sessions.length; j++) perSession.getCell(3 + j).numFmt = '0.0%';
    perSession.font = { bold: true };
    perSession.commit();
    sheet.addRow(['', 'P present · L late · A absent · E excused']).commit();
    await sheet.commit();

    const rec = wb.addWorksheet('Records');
    rec.columns = [
      { header: 'Session', key: 'session', width: 9 },
      { header: 'Starts at', key: 'startsAt', width: 18, style: { numFmt: 'yyyy-mm-dd hh:mm' } },
      { header: 'Student number', key: 'number', width: 16 },
      { header: 'Name', key: 'name', width: 28 },
      { header: 'Status', key: 'status', width: 10 },
      { header: 'State', key: 'state', width: 11 },
      { header: 'Method', key: 'method', width: 10 },
      { header: 'Checked in at', key: 'checkedInAt', width: 18, style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } },
      { header: 'Note', key: 'note', width: 30 },
    ];
    rec.getRow(1).font = { bold: true };
    rec.getRow(1).commit();
    for await (const r of records) {
      rec
        .addRow({
          session: r.number,
          startsAt: wallClock(r.starts_at, timeZone),
          number: r.student_number,
          name: r.name,
          status: r.status,
          state: r.state,
          method: r.method,
          checkedInAt: r.checked_in_at ? wallClock(r.checked_in_at, timeZone) : null,
          note: r.note,
        })
        .commit();
    }
    await rec.commit();
    await wb.commit();
  })().catch((err: unknown) => {
    onError(err);
    out.destroy(err as Error);
  });
  return out;
}

/** A simple table for pdfkit: fixed columns, a header repeated on every page. */
function pdfTable(
  doc: PDFKit.PDFDocument,
  columns: { label: string; width: number; align?: 'left' | 'right' | 'center' }[],
  rows: string[][],
  opts: { rowHeight?: number; onRow?: (y: number, index: number) => void } = {},
) {
  const left = doc.page.margins.left;
  const rowHeight = opts.rowHeight ?? 16;
  const header = () => {
    let x = left;
    doc.font('Helvetica-Bold').fontSize(9);
    for (const c of columns) {
      doc.text(c.label, x + 2, doc.y, { width: c.width - 4, align: c.align ?? 'left', lineBreak: false });
      x += c.width;
    }
    doc.y += rowHeight;
    doc.moveTo(left, doc.y - 3).lineTo(x, doc.y - 3).lineWidth(0.5).stroke();
    doc.font('Helvetica').fontSize(9);
  };
  header();
  rows.forEach((row, index) => {
    if (doc.y + rowHeight > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      header();
    }
    const y = doc.y;
    let x = left;
    row.forEach((cell, j) => {
      doc.text(cell, x + 2, y + 2, { width: columns[j].width - 4, align: columns[j].align ?? 'left', lineBreak: false, ellipsis: true });
      x += columns[j].width;
    });
    opts.onRow?.(y, index);
    doc.y = y + rowHeight;
  });
}

const fmtPct = (p: number | null) => (p === null ? '–' : `${p.toFixed(1)} %`);

function formatLocal(iso: string, timeZone: string, withTime = true): string {
  return new Intl.DateTimeFormat('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}),
    timeZone,
  }).format(new Date(iso));
}

/**
 * The course report as a printable PDF (pdfkit, no browser): the course's figures, then every student
 * with their counts and percentage (lowest first), those below the threshold marked.
 */
export function courseReportPdf(report: CourseReport, grid: CourseGrid, timeZone: string): Readable {
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: `${report.course.code} attendance report`, Author: 'Rollbook' } });
  doc.font('Helvetica-Bold').fontSize(18).text(`${report.course.code} · ${report.course.name}`);
  doc.font('Helvetica').fontSize(10).fillColor('#555').text(`Attendance report, ${formatLocal(new Date().toISOString(), timeZone, false)}`);
  doc.moveDown(0.8).fillColor('black').fontSize(11);
  const held = grid.sessions;
  doc.text(`Held sessions: ${report.sessions}${held.length ? ` (${formatLocal(held[0].startsAt, timeZone, false)} – ${formatLocal(held[held.length - 1].startsAt, timeZone, false)})` : ''}`);
  doc.text(`Students: ${report.summary.students}    Average attendance: ${fmtPct(report.summary.averagePercentage)}`);
  doc.text(`Threshold: ${report.course.thresholdPercent} %    Below threshold: ${report.summary.belowThreshold}`);
  doc.moveDown(0.8);
  pdfTable(
    doc,
    [
      { label: 'Student number', width: 90 },
      { label: 'Name', width: 170 },
      { label: 'Present', width: 48, align: 'right' },
      { label: 'Late', width: 40, align: 'right' },
      { label: 'Absent', width: 45, align: 'right' },
      { label: 'Excused', width: 50, align: 'right' },
      { label: 'Attendance', width: 72, align: 'right' },
    ],
    report.items.map((i) => [
      i.student.studentNumber ?? '',
      `${i.student.name}${i.belowThreshold ? ' *' : ''}`,
      String(i.present),
      String(i.late),
      String(i.absent),
      String(i.excused),
      fmtPct(i.percentage),
    ]),
  );
  doc.moveDown(0.5).fontSize(8).fillColor('#555').text('* below the threshold. Excused sessions are left out of the percentage; late counts as attended.', doc.page.margins.left);
  if (held.length > 0) {
    doc.addPage().fillColor('black').font('Helvetica-Bold').fontSize(13).text('Attendance per session');
    doc.moveDown(0.5);
    pdfTable(
      doc,
      [
        { label: 'Session', width: 60 },
        { label: 'Date', width: 200 },
        { label: 'Title', width: 160 },
        { label: 'Attendance', width: 90, align: 'right' },
      ],
      held.map((s) => [`#${s.number}`, formatLocal(s.startsAt, timeZone), s.title ?? '', fmtPct(s.percentage)]),
    );
  }
  doc.end();
  return doc;
}

export interface SignInSheet {
  course: { code: string; name: string };
  session: { number: number | null; title: string | null; startsAt: string; endsAt: string; venue: string | null };
  students: { name: string; studentNumber: string | null }[];
  /** The session's current code and QR (open sessions only). */
  code: { code: string; url: string; expiresAt: string; qrPng: Buffer } | null;
}

/** A printable sign-in sheet: the roster with a signature column, and the session's QR and code. */
export function signInSheetPdf(sheet: SignInSheet, timeZone: string): Readable {
  const { course, session } = sheet;
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: `${course.code} sign-in sheet`, Author: 'Rollbook' } });
  const top = doc.y;
  const qrSize = 110;
  const textWidth = doc.page.width - doc.page.margins.left - doc.page.margins.right - (sheet.code ? qrSize + 16 : 0);
  doc.font('Helvetica-Bold').fontSize(18).text(`${course.code} · ${course.name}`, { width: textWidth });
  doc.font('Helvetica').fontSize(11).text(`Lecture ${session.number}${session.title ? `: ${session.title}` : ''}`, { width: textWidth });
  doc.text(`${formatLocal(session.startsAt, timeZone)} – ${formatLocal(session.endsAt, timeZone).split(' ').pop()}${session.venue ? ` · ${session.venue}` : ''}`, {
    width: textWidth,
  });
  doc.moveDown(0.5);
  if (sheet.code) {
    doc.font('Helvetica-Bold').fontSize(14).text(`Check-in code: ${sheet.code.code}`, { width: textWidth });
    doc.font('Helvetica').fontSize(9).fillColor('#555').text(`Valid until ${formatLocal(sheet.code.expiresAt, timeZone)}. Scan the QR or type the code at ${new URL(sheet.code.url).origin}.`, {
      width: textWidth,
    });
    doc.image(sheet.code.qrPng, doc.page.width - doc.page.margins.right - qrSize, top, { width: qrSize });
  } else {
    doc.font('Helvetica').fontSize(9).fillColor('#555').text('The session is not open: no check-in code yet. Sign below.', { width: textWidth });
  }
  doc.fillColor('black');
  doc.y = Math.max(doc.y, top + (sheet.code ? qrSize : 0)) + 14;
  const left = doc.page.margins.left;
  const right = doc.page.width - doc.page.margins.right;
  pdfTable(
    doc,
    [
      { label: '#', width: 28, align: 'right' },
      { label: 'Student number', width: 95 },
      { label: 'Name', width: 190 },
      { label: 'Signature', width: right - left - 313 },
    ],
    sheet.students.map((s, i) => [String(i + 1), s.studentNumber ?? '', s.name, '']),
    {
      rowHeight: 24,
      onRow: (y) => doc.moveTo(left + 313, y + 20).lineTo(right, y + 20).lineWidth(0.4).strokeColor('#999').stroke().strokeColor('black'),
    },
  );
  doc.moveDown(1).fontSize(8).fillColor('#555').text(`${sheet.students.length} students enrolled. Printed from Rollbook as a paper backup.`, left);
  doc.end();
  return doc;
}
