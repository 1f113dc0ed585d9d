import { useEffect, useRef, useState } from 'react';
import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Code,
  FileInput,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  Textarea,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconDownload, IconFileTypeCsv } from '@tabler/icons-react';
import type { ImportResult } from '../../../../../common/user.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { errorMessage } from '../../../lib/notify.js';
import { IMPORT_HEADER, IMPORT_TEMPLATE, useImportUsers } from '../api/import-users.js';

const TEMPLATE_HREF = `data:text/csv;charset=utf-8,${encodeURIComponent(IMPORT_TEMPLATE)}`;

function ImportOutcome({ result, partial }: { result: ImportResult; partial: boolean }) {
  const rejected = result.errors.length > 0 && result.created + result.updated === 0 && !partial;
  return (
    <Stack gap="xs" data-testid="import-result">
      {rejected ? (
        <Alert color="red" title="Nothing was imported">
          {result.errors.length} {result.errors.length === 1 ? 'line has' : 'lines have'} errors, so no line was
          written. Fix them and import again, or tick “Import the good lines anyway”.
        </Alert>
      ) : (
        <Alert color={result.errors.length > 0 ? 'yellow' : 'teal'} title="Import finished">
          Created {result.created}, updated {result.updated}
          {result.errors.length > 0 ? `; ${result.errors.length} skipped because of errors.` : '.'}
        </Alert>
      )}
      {result.errors.length > 0 ? (
        <Table.ScrollContainer minWidth={360} mah={260}>
          <Table striped withTableBorder data-testid="import-errors">
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

/** Bulk create/update from CSV: pick a file or paste the text; every bad line is listed by number. */
export function ImportUsersModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const importUsers = useImportUsers();
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const [file, setFile] = useState<File | null>(null);
  const [csv, setCsv] = useState('');
  const [partial, setPartial] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const { reset } = importUsers;
  const resultRef = useRef<HTMLDivElement>(null);

  // The outcome appears below the form; on a phone that is off screen, so bring it into view.
  useEffect(() => {
    if (importUsers.data) resultRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }, [importUsers.data]);

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
      setLocalError(`The file is ${(next.size / 1024 / 1024).toFixed(1)} MB; the limit is ${LIMITS.csvMaxBytes / 1024 / 1024} MB.`);
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
      setLocalError(`The CSV is larger than ${LIMITS.csvMaxBytes / 1024 / 1024} MB; split it into several files.`);
      return;
    }
    importUsers.mutate({ csv, partial });
  }

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Import users from CSV"
      size="xl"
      fullScreen={fullScreen}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack gap="sm" data-testid="import-form">
        <Text size="sm">
          The first line must be the header below. A line whose username exists updates that user; other lines
          create users. Leave a cell empty when it does not apply; <i>section</i> takes a section's name.
        </Text>
        <Code block data-testid="import-header" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
          {IMPORT_HEADER.join(',')}
        </Code>
        <Anchor href={TEMPLATE_HREF} download="rollbook-users-template.csv" size="sm" data-testid="import-template">
          <Group gap={4} component="span">
            <IconDownload size={16} />
            Download a template
          </Group>
        </Anchor>
        <FileInput
          label="CSV file"
          placeholder="Choose a .csv file"
          accept=".csv,text/csv"
          clearable
          leftSection={<IconFileTypeCsv size={18} />}
          value={file}
          onChange={(f) => void pickFile(f)}
          data-testid="import-file"
        />
        <Textarea
          label="…or paste the CSV here"
          placeholder={IMPORT_TEMPLATE}
          autosize
          minRows={5}
          maxRows={12}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
          value={csv}
          onChange={(e) => setCsv(e.currentTarget.value)}
          data-testid="import-text"
        />
        <Checkbox
          label="Import the good lines anyway"
          description="Without this, nothing is written while any line has an error."
          checked={partial}
          onChange={(e) => setPartial(e.currentTarget.checked)}
          data-testid="import-partial"
        />
        {localError ? <Alert color="red">{localError}</Alert> : null}
        {importUsers.isError ? (
          <Alert color="red" title="Import failed" data-testid="import-error">
            {errorMessage(importUsers.error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button onClick={submit} loading={importUsers.isPending} data-testid="import-submit">
            Import
          </Button>
        </Group>
        <div ref={resultRef}>
          {importUsers.data ? <ImportOutcome result={importUsers.data} partial={importUsers.variables?.partial ?? false} /> : null}
        </div>
      </Stack>
    </Modal>
  );
}
