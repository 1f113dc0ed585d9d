import { Anchor, Code, Group, Text } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { CsvImportModal } from '../../../components/csv-import-modal.js';
import { IMPORT_HEADER, IMPORT_TEMPLATE, useImportUsers } from '../api/import-users.js';

const TEMPLATE_HREF = `data:text/csv;charset=utf-8,${encodeURIComponent(IMPORT_TEMPLATE)}`;

/** Bulk create/update users from CSV; every bad line is listed by number. */
export function ImportUsersModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const importUsers = useImportUsers();
  return (
    <CsvImportModal
      opened={opened}
      onClose={onClose}
      title="Import users from CSV"
      testId="import"
      placeholder={IMPORT_TEMPLATE}
      importer={importUsers}
      written={(r) => r.created + r.updated}
      describe={(r) => `Created ${r.created}, updated ${r.updated}`}
      intro={
        <>
          <Text size="sm">
            The first line must be the header below. A line whose username exists updates that user; other lines create users. Leave a
            cell empty when it does not apply; <i>section</i> takes a section's name.
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
        </>
      }
    />
  );
}
