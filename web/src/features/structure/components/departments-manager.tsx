import { useEffect, useState, type FormEvent } from 'react';
import { ActionIcon, Alert, Button, Center, Group, Loader, Modal, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPencil, IconPlus, IconSearch, IconTrash } from '@tabler/icons-react';
import { createDepartmentBody, updateDepartmentBody, type Department } from '../../../../../common/structure.schemas.js';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { QueryError } from '../../../components/query-error.js';
import { useForm } from '../../../lib/form.js';
import { notifySuccess } from '../../../lib/notify.js';
import { useDeleteDepartment, useDepartmentPages, useSaveDepartment } from '../api/departments.js';
import { LoadMore } from '../../../components/load-more.js';

function DepartmentFormModal({ opened, onClose, department }: { opened: boolean; onClose: () => void; department: Department | null }) {
  const save = useSaveDepartment();
  const form = useForm({ code: '', name: '' });
  const { reset } = form;
  useEffect(() => {
    if (opened) reset({ code: department?.code ?? '', name: department?.name ?? '' });
  }, [opened, department, reset]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = form.validate(department ? updateDepartmentBody : createDepartmentBody, form.values);
    if (!input) return;
    save.mutate(
      { id: department?.id ?? null, input },
      {
        onSuccess: (d) => {
          notifySuccess(`${d.code} ${d.name} is saved.`);
          onClose();
        },
        onError: (error) => form.applyError(error),
      },
    );
  }

  return (
    <Modal opened={opened} onClose={onClose} title={department ? `Edit ${department.code}` : 'New department'} closeButtonProps={{ 'aria-label': 'Close' }}>
      <form onSubmit={submit} noValidate data-testid="department-form">
        <Stack gap="sm">
          {form.formError ? <Alert color="red" title="Could not save the department">{form.formError}</Alert> : null}
          <TextInput label="Code" description="Short, e.g. CS" required autoComplete="off" {...form.textProps('code')} />
          <TextInput label="Name" required autoComplete="off" {...form.textProps('name')} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="department-form-submit">
              {department ? 'Save' : 'Create department'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Admin: departments, with create, edit and delete (a department in use cannot be deleted). */
export function DepartmentsManager() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const pages = useDepartmentPages(q);
  const remove = useDeleteDepartment();
  const [editing, setEditing] = useState<Department | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const [deleting, setDeleting] = useState<Department | null>(null);
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack gap="md" data-testid="departments-page">
      <Group justify="space-between" gap="xs">
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Departments
        </Title>
        <Button
          leftSection={<IconPlus size={18} />}
          onClick={() => {
            setEditing(null);
            setFormOpen(true);
          }}
          data-testid="new-department"
        >
          New department
        </Button>
      </Group>
      <TextInput
        placeholder="Search by code or name"
        aria-label="Search departments"
        leftSection={<IconSearch size={16} />}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        maw={420}
      />
      {pages.isError ? <QueryError title="Could not load departments" error={pages.error} onRetry={() => void pages.refetch()} /> : null}
      {pages.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading departments" />
        </Center>
      ) : items.length === 0 && !pages.isError ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="departments-empty">
          {q ? 'No department matches.' : 'No departments yet. Create the first one.'}
        </Text>
      ) : (
        <Table striped highlightOnHover data-testid="departments-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={120}>Code</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th w={90} aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((d) => (
              <Table.Tr key={d.id} data-testid={`department-row-${d.code}`}>
                <Table.Td fw={600}>{d.code}</Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{d.name}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" justify="flex-end">
                    <Tooltip label="Edit">
                      <ActionIcon
                        variant="subtle"
                        aria-label={`Edit ${d.code}`}
                        onClick={() => {
                          setEditing(d);
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
                        aria-label={`Delete ${d.code}`}
                        onClick={() => {
                          remove.reset();
                          setDeleting(d);
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
      <DepartmentFormModal opened={formOpen} onClose={() => setFormOpen(false)} department={editing} />
      <ConfirmModal
        opened={deleting !== null}
        title="Delete department"
        confirmLabel="Delete"
        loading={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              notifySuccess(`${deleting.code} is deleted.`);
              setDeleting(null);
            },
          })
        }
      >
        Delete <b>{deleting?.code}</b> {deleting?.name}? A department that still has sections or courses cannot be deleted.
      </ConfirmModal>
    </Stack>
  );
}
