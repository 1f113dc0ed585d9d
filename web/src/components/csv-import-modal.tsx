import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Button, Checkbox, FileInput, Group, Modal, Stack, Table, Textarea } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconFileTypeCsv } from '@tabler/icons-react';
import { LIMITS } from '../../../common/limits.js';
import { errorMessage } from '../lib/notify.js';

export interface CsvImportResult {
  errors: { line: number; message: string }[];
}

export interface CsvImportModalProps<R extends CsvImportResult> {
  opened: boolean;
  onClose: () => void;
  title: string;
  /** What the file must look like: header, template link, rules. */
  intro: ReactNode;
  placeholder?: string;
  /** Prefix of every data-testid (`<testId>-form`, `-file`, `-text`, `-partial`, `-submit`, `-error`, `-result`, `-errors`). */
  testId: string;
  /** The import mutation of the caller's feature. */
  importer: {
    mutate: (input: { csv: string; partial: boolean }) => void;
    reset: () => void;
    isPending: boolean;
    isError: boolean;
    error: unknown;
    data?: R;
    variables?: { partial: boolean };
  };
  /** How many lines the import wrote (0 with errors and no "partial" means it was refused whole). */
  written: (result: R) => number;
  /** The sentence that says what the import did, e.g. "Created 3, updated 1". */
  describe: (result: R) => string;
}

/**
 * A CSV import (users, enrollments): pick a file or paste the text, optionally import the good lines
 * anyway, then see every bad line by its number. The server writes nothing while any line is bad
 * unless `partial` is set.
 */
export function CsvImportModal<R extends CsvImportResult>(props: CsvImportModalProps<R>) {
  const { opened, onClose, importer, testId } = props;
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const [file, setFile] = useState<File | null>(null);
  const [csv, setCsv] = useState('');
  const [partial, setPartial] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const { reset } = importer;
  const resultRef = useRef<HTMLDivElement>(null);
  const maxMb = LIMITS.csvMaxBytes / 1024 / 1024;

  // The outcome appears below the form; on a phone that is off screen, so bring it into view.
  useEffect(() => {
    if (importer.data) resultRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }, [importer.data]);

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
      setLocalError(`The file is ${(next.size / 1024 / 1024).toFixed(1)} MB; the limit is ${maxMb} MB.`);
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
    if (new Blob([csv]).size > LIMITS.csvMaxBytes) {
      setLocalError(`The CSV is larger than ${maxMb} MB; split it into several files.`);
      return;
    }
    importer.mutate({ csv, partial });
  }

  return (
    <Modal opened={opened} onClose={onClose} title={props.title} size="xl" fullScreen={fullScreen} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm" data-testid={`${testId}-form`}>
        {props.intro}
        <FileInput
          label="CSV file"
          placeholder="Choose a .csv file"
          accept=".csv,text/csv"
          clearable
          leftSection={<IconFileTypeCsv size={18} />}
          value={file}
          onChange={(f) => void pickFile(f)}
          data-testid={`${testId}-file`}
        />
        <Textarea
          label="…or paste the CSV here"
          placeholder={props.placeholder}
          autosize
          minRows={5}
          maxRows={12}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
          value={csv}
          onChange={(e) => setCsv(e.currentTarget.value)}
          data-testid={`${testId}-text`}
        />
        <Checkbox
          label="Import the good lines anyway"
          description="Without this, nothing is written while any line has an error."
          checked={partial}
          onChange={(e) => setPartial(e.currentTarget.checked)}
          data-testid={`${testId}-partial`}
        />
        {localError ? <Alert color="red">{localError}</Alert> : null}
        {importer.isError ? (
          <Alert color="red" title="Import failed" data-testid={`${testId}-error`}>
            {errorMessage(importer.error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button onClick={submit} loading={importer.isPending} data-testid={`${testId}-submit`}>
            Import
          </Button>
        </Group>
        <div ref={resultRef}>
          {importer.data ? (
            <ImportOutcome
              result={importer.data}
              refused={importer.data.errors.length > 0 && !importer.variables?.partial && props.written(importer.data) === 0}
              summary={props.describe(importer.data)}
              testId={testId}
            />
          ) : null}
        </div>
      </Stack>
    </Modal>
  );
}

function ImportOutcome({ result, refused, summary, testId }: { result: CsvImportResult; refused: boolean; summary: string; testId: string }) {
  const n = result.errors.length;
  return (
    <Stack gap="xs" data-testid={`${testId}-result`}>
      {refused ? (
        <Alert color="red" title="Nothing was imported">
          {n} {n === 1 ? 'line has' : 'lines have'} errors, so no line was written. Fix them and import again, or tick “Import the
          good lines anyway”.
        </Alert>
      ) : (
        <Alert color={n > 0 ? 'yellow' : 'teal'} title="Import finished">
          {summary}
          {n > 0 ? `; ${n} skipped because of errors.` : '.'}
        </Alert>
      )}
      {n > 0 ? (
        <Table.ScrollContainer minWidth={320} mah={260}>
          <Table striped withTableBorder data-testid={`${testId}-errors`}>
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
