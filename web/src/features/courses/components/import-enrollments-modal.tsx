import { Code, Text } from '@mantine/core';
import { CsvImportModal } from '../../../components/csv-import-modal.js';
import { ENROLLMENT_IMPORT_HEADER, useImportEnrollments } from '../api/enrollments.js';

/** Enrollments from CSV (courseCode,studentNumber), for any number of courses at once; bad lines are listed by number. */
export function ImportEnrollmentsModal({ opened, onClose, courseCode }: { opened: boolean; onClose: () => void; courseCode?: string }) {
  const importer = useImportEnrollments();
  const example = `${ENROLLMENT_IMPORT_HEADER}\n${courseCode ?? 'CS101'},S1001\n${courseCode ?? 'CS101'},S1002`;
  return (
    <CsvImportModal
      opened={opened}
      onClose={onClose}
      title="Import enrollments from CSV"
      testId="enroll-import"
      placeholder={example}
      importer={importer}
      written={(r) => r.enrolled + r.alreadyEnrolled}
      describe={(r) => `Enrolled ${r.enrolled}; ${r.alreadyEnrolled} already enrolled`}
      intro={
        <>
          <Text size="sm">One line per student and course, after this header. Students already enrolled are left as they are.</Text>
          <Code block>{example}</Code>
        </>
      }
    />
  );
}
