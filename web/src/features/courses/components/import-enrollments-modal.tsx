import { useEffect, useState } from 'react';
import { Alert, Button, Checkbox, Code, FileInput, Group, Modal, Stack, Table, Text, Textarea } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconFileTypeCsv } from '@tabler/icons-react';
import type { EnrollmentImportResult } from '../../../../../common/course.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { errorMessage } from '../../../lib/notify.js';
import { ENROLLMENT_IMPORT_HEADER, useImportEnrollments } from '../api/enrollments.js';

function Outcome({ result, partial }: { result: EnrollmentImportResult; partial: boolean }) {
  const written = result.enrolled + result.alreadyEnrolled > 0;
  const rejected = result.errors.length > 0 && !partial;
  return (
    <Stack gap="xs" data-testid="enroll-import-result">
      {rejected && !written ? (
        <Alert color="red" title="Nothing was imported">
          {result.errors.length} {result.errors.length === 1 ? 'line has' : 'lines have'} errors, so no line was written. Fix them and
          import again, or tick “Import the good lines anyway”.
        </Alert>
      ) : (
        <Alert color={result.errors.length > 0 ? 'yellow' : 'teal'} title="Import finished">
          Enrolled {result.enrolled}; {result.alreadyEnrolled} already enrolled
          {result.errors.length > 0 ? `; ${result.errors.length} skipped because of errors.` : '.'}
        </Alert>
      )}
      {result.errors.length > 0 ? (
        <Table.ScrollContainer minWidth={300} mah={260}>
          <Table striped withTableBorder data-testid="enroll-import-errors">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={70}>Line</Table.Th>
                <Table.Th>Problem</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.errors.map((e, i) => (
                <Table.Tr key={`${e.line}-${i}`}>
                  <Table.Td>{e.line}</Table.Td>
                  <Table.Td>{e.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}

/** Enrollments from CSV (courseCode,studentNumber), for any number of courses at once; bad lines are listed by number. */
export function ImportEnrollmentsModal({ opened, onClose, courseCode }: { opened: boolean; onClose: () => void; courseCode?: string }) {
  const importer = useImportEnrollments();
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const [file, setFile] = useState<File | null>(null);
  const [csv, setCsv] = useState('');
  const [partial, setPartial] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const { reset } = importer;
  const example = `${ENROLLMENT_IMPORT_HEADER}\n${courseCode ?? 'CS101'},S1001\n${courseCode ?? 'CS101'},S1002`;

  useEffect(() => {
    if (!opened) return;
    setFile(null);
    setCsv('');
    setPartial(false);
    setLocalError(null);
    reset();
  }, [opened, reset]);

  async function pickFile(next: File | null) {
    setFile(next);
    setLocalError(null);
    if (!next) return;
    if (next.size > LIMITS.csvMaxBytes) {
      setLocalError(`The file is larger than ${LIMITS.csvMaxBytes / 1024 / 1024} MB.`);
      return;
    }
    try {
      setCsv(await next.text());
    } catch {
      setLocalError('Could not read that file.');
    }
  }

  function submit() {
    setLocalError(null);
    if (csv.trim() === '') {
      setLocalError('Choose a CSV file or paste its contents first.');
      return;
    }
    importer.mutate({ csv, partial });
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Import enrollments from CSV" size="lg" fullScreen={fullScreen} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm" data-testid="enroll-import-form">
        <Text size="sm">
          One line per student and course, after this header. Students already enrolled are left as they are.
        </Text>
        <Code block>{example}</Code>
        <FileInput
          label="CSV file"
          placeholder="Choose a .csv file"
          accept=".csv,text/csv"
          clearable
          leftSection={<IconFileTypeCsv size={18} />}
          value={file}
          onChange={(f) => void pickFile(f)}
          data-testid="enroll-import-file"
        />
        <Textarea
          label="…or paste the CSV here"
          autosize
          minRows={4}
          maxRows={12}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
          value={csv}
          onChange={(e) => setCsv(e.currentTarget.value)}
          data-testid="enroll-import-text"
        />
        <Checkbox
          label="Import the good lines anyway"
          description="Without this, nothing is written while any line has an error."
          checked={partial}
          onChange={(e) => setPartial(e.currentTarget.checked)}
        />
        {localError ? <Alert color="red">{localError}</Alert> : null}
        {importer.isError ? (
          <Alert color="red" title="Import failed" data-testid="enroll-import-error">
            {errorMessage(importer.error)}
          </Alert>
        ) : null}
        {importer.data ? <Outcome result={importer.data} partial={importer.variables?.partial ?? false} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button onClick={submit} loading={importer.isPending} data-testid="enroll-import-submit">
            Import
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
