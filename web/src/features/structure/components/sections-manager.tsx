import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ActionIcon, Alert, Button, Center, Group, Loader, Modal, Select, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPencil, IconPlus, IconSearch, IconTrash } from '@tabler/icons-react';
import { createSectionBody, updateSectionBody, type Section } from '../../../../../common/structure.schemas.js';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { QueryError } from '../../../components/query-error.js';
import { blankToNull, useForm } from '../../../lib/form.js';
import { notifySuccess } from '../../../lib/notify.js';
import { useDepartmentPages } from '../api/departments.js';
import { useDeleteSection, useSaveSection, useSectionPages } from '../api/sections.js';
import { LoadMore } from '../../../components/load-more.js';

interface DepartmentOption {
  value: string;
  label: string;
}

function SectionFormModal({
  opened,
  onClose,
  section,
  departments,
}: {
  opened: boolean;
  onClose: () => void;
  section: Section | null;
  departments: DepartmentOption[];
}) {
  const save = useSaveSection();
  const form = useForm({ name: '', departmentId: '', cohort: '' });
  const { reset } = form;
  useEffect(() => {
    if (opened) reset({ name: section?.name ?? '', departmentId: section?.departmentId ?? '', cohort: section?.cohort ?? '' });
  }, [opened, section, reset]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const v = form.values;
    const body = { name: v.name, departmentId: v.departmentId || null, cohort: blankToNull(v.cohort) };
    const input = form.validate(section ? updateSectionBody : createSectionBody, body);
    if (!input) return;
    save.mutate(
      { id: section?.id ?? null, input },
      {
        onSuccess: (s) => {
          notifySuccess(`${s.name} is saved.`);
          onClose();
        },
        onError: (error) => form.applyError(error),
      },
    );
  }

  return (
    <Modal opened={opened} onClose={onClose} title={section ? `Edit ${section.name}` : 'New section'} closeButtonProps={{ 'aria-label': 'Close' }}>
      <form onSubmit={submit} noValidate data-testid="section-form">
        <Stack gap="sm">
          {form.formError ? <Alert color="red" title="Could not save the section">{form.formError}</Alert> : null}
          <TextInput label="Name" description="A class group, batch or year, e.g. CS-2A" required autoComplete="off" {...form.textProps('name')} />
          <Select
            label="Department"
            placeholder="None"
            data={departments}
            searchable
            clearable
            value={form.values.departmentId || null}
            onChange={(v) => form.setValue('departmentId', v ?? '')}
            error={form.errors.departmentId}
            comboboxProps={{ withinPortal: true }}
          />
          <TextInput label="Cohort" description="Optional, e.g. 2025 intake" autoComplete="off" {...form.textProps('cohort')} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="section-form-submit">
              {section ? 'Save' : 'Create section'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Admin: sections (class groups) with their department and cohort. */
export function SectionsManager() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const [departmentId, setDepartmentId] = useState<string | null>(null);
  const pages = useSectionPages({ q, departmentId });
  const departmentPages = useDepartmentPages();
  const remove = useDeleteSection();
  const [editing, setEditing] = useState<Section | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const [deleting, setDeleting] = useState<Section | null>(null);
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];

  const departments = useMemo(
    () => (departmentPages.data?.pages.flatMap((p) => p.items) ?? []).map((d) => ({ value: d.id, label: `${d.code} · ${d.name}` })),
    [departmentPages.data],
  );
  const departmentName = (id: string | null) => (id ? (departments.find((d) => d.value === id)?.label ?? '…') : '—');

  return (
    <Stack gap="md" data-testid="sections-page">
      <Group justify="space-between" gap="xs">
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Sections
        </Title>
        <Button
          leftSection={<IconPlus size={18} />}
          onClick={() => {
            setEditing(null);
            setFormOpen(true);
          }}
          data-testid="new-section"
        >
          New section
        </Button>
      </Group>
      <Group gap="xs" align="flex-end">
        <TextInput
          placeholder="Search by name or cohort"
          aria-label="Search sections"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          style={{ flex: '1 1 220px' }}
          maw={420}
        />
        <Select
          aria-label="Department"
          placeholder="All departments"
          data={departments}
          clearable
          searchable
          value={departmentId}
          onChange={setDepartmentId}
          style={{ flex: '1 1 180px' }}
          maw={300}
        />
      </Group>
      {departmentPages.isError ? (
        <QueryError title="Could not load departments" error={departmentPages.error} onRetry={() => void departmentPages.refetch()} />
      ) : null}
      {pages.isError ? <QueryError title="Could not load sections" error={pages.error} onRetry={() => void pages.refetch()} /> : null}
      {pages.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading sections" />
        </Center>
      ) : items.length === 0 && !pages.isError ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="sections-empty">
          {q || departmentId ? 'No section matches.' : 'No sections yet. Create the first one.'}
        </Text>
      ) : (
        <Table striped highlightOnHover data-testid="sections-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th visibleFrom="sm">Department</Table.Th>
              <Table.Th visibleFrom="sm">Cohort</Table.Th>
              <Table.Th w={90} aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((s) => (
              <Table.Tr key={s.id} data-testid={`section-row-${s.name}`}>
                <Table.Td>
                  <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {s.name}
                  </Text>
                  <Text size="xs" c="dimmed" hiddenFrom="sm">
                    {departmentName(s.departmentId)}
                    {s.cohort ? ` · ${s.cohort}` : ''}
                  </Text>
                </Table.Td>
                <Table.Td visibleFrom="sm">{departmentName(s.departmentId)}</Table.Td>
                <Table.Td visibleFrom="sm">{s.cohort ?? '—'}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" justify="flex-end">
                    <Tooltip label="Edit">
                      <ActionIcon
                        variant="subtle"
                        aria-label={`Edit ${s.name}`}
                        onClick={() => {
                          setEditing(s);
                          setFormOpen(true);
                        }}
                      >
                        <IconPencil size={18} />
                      </ActionIcon>
                    </Tooltip>
                    <Tooltip label="Delete">
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        aria-label={`Delete ${s.name}`}
                        onClick={() => {
                          remove.reset();
                          setDeleting(s);
                        }}
                      >
                        <IconTrash size={18} />
                      </ActionIcon>
                    </Tooltip>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <LoadMore query={pages} />
      <SectionFormModal opened={formOpen} onClose={() => setFormOpen(false)} section={editing} departments={departments} />
      <ConfirmModal
        opened={deleting !== null}
        title="Delete section"
        confirmLabel="Delete"
        loading={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              notifySuccess(`${deleting.name} is deleted.`);
              setDeleting(null);
            },
          })
        }
      >
        Delete <b>{deleting?.name}</b>? A section that students still belong to cannot be deleted.
      </ConfirmModal>
    </Stack>
  );
}
