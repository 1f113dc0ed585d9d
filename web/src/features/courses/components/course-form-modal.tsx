import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Button, Group, Modal, MultiSelect, NumberInput, Select, SimpleGrid, Stack, Textarea, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { createCourseBody, updateCourseBody, type Course } from '../../../../../common/course.schemas.js';
import { blankToNull, useForm } from '../../../lib/form.js';
import { errorMessage, notifySuccess } from '../../../lib/notify.js';
import { useSaveCourse } from '../api/courses.js';
import { useDepartmentOptions, useTeacherOptions } from '../api/lookups.js';

interface Values extends Record<string, string | boolean> {
  code: string;
  name: string;
  description: string;
  departmentId: string;
  term: string;
  yearOfStudy: string;
  thresholdPercent: string;
  lateAfterMinutes: string;
}

function valuesOf(course: Course | null): Values {
  return {
    code: course?.code ?? '',
    name: course?.name ?? '',
    description: course?.description ?? '',
    departmentId: course?.departmentId ?? '',
    term: course?.term ?? '',
    yearOfStudy: course?.yearOfStudy != null ? String(course.yearOfStudy) : '',
    thresholdPercent: String(course?.thresholdPercent ?? 75),
    lateAfterMinutes: String(course?.lateAfterMinutes ?? 10),
  };
}

const toInt = (s: string) => (s.trim() === '' ? null : Number(s));

interface CourseFormModalProps {
  opened: boolean;
  onClose: () => void;
  /** null creates a course. */
  course: Course | null;
  /** Admins pick the teachers; a teacher who creates a course becomes its teacher. */
  canPickTeachers: boolean;
  onSaved?: (course: Course) => void;
}

/** Create or edit a course. */
export function CourseFormModal({ opened, onClose, course, canPickTeachers, onSaved }: CourseFormModalProps) {
  const save = useSaveCourse();
  const departments = useDepartmentOptions();
  const teachers = useTeacherOptions(canPickTeachers && opened);
  const form = useForm<Values>(valuesOf(course));
  const [teacherIds, setTeacherIds] = useState<string[]>(course?.teacherIds ?? []);
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const { reset } = form;

  useEffect(() => {
    if (!opened) return;
    reset(valuesOf(course));
    setTeacherIds(course?.teacherIds ?? []);
  }, [opened, course, reset]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const v = form.values;
    const body = {
      code: v.code,
      name: v.name,
      description: blankToNull(v.description),
      departmentId: v.departmentId || null,
      term: blankToNull(v.term),
      yearOfStudy: toInt(v.yearOfStudy),
      thresholdPercent: toInt(v.thresholdPercent) ?? 75,
      lateAfterMinutes: toInt(v.lateAfterMinutes) ?? 10,
      ...(canPickTeachers ? { teacherIds } : {}),
    };
    const input = form.validate(course ? updateCourseBody : createCourseBody, body);
    if (!input) return;
    save.mutate(
      { id: course?.id ?? null, input },
      {
        onSuccess: (saved) => {
          notifySuccess(`${saved.code} ${saved.name} is saved.`, course ? 'Course saved' : 'Course created');
          onClose();
          onSaved?.(saved);
        },
        onError: (error) => form.applyError(error),
      },
    );
  }

  const numberProps = (name: 'yearOfStudy' | 'thresholdPercent' | 'lateAfterMinutes') => ({
    value: form.values[name],
    onChange: (v: string | number) => form.setValue(name, String(v)),
    error: form.errors[name],
    allowDecimal: false,
    allowNegative: false,
  });

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={course ? `Edit ${course.code}` : 'New course'}
      size="lg"
      fullScreen={fullScreen}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <form onSubmit={submit} noValidate data-testid="course-form">
        <Stack gap="sm">
          {form.formError ? (
            <Alert color="red" title="Could not save the course" data-testid="course-form-error">
              {form.formError}
            </Alert>
          ) : null}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Code" description="Unique, e.g. CS101" required autoComplete="off" {...form.textProps('code')} />
            <TextInput label="Name" required autoComplete="off" {...form.textProps('name')} />
            <Select
              label="Department"
              placeholder={departments.isError ? 'Could not load departments' : 'None'}
              data={departments.data ?? []}
              searchable
              clearable
              value={form.values.departmentId || null}
              onChange={(v) => form.setValue('departmentId', v ?? '')}
              error={form.errors.departmentId ?? (departments.isError ? errorMessage(departments.error) : undefined)}
            />
            <TextInput label="Term" description="e.g. 2026-S1" autoComplete="off" {...form.textProps('term')} />
            <NumberInput label="Year of study" min={1} max={20} {...numberProps('yearOfStudy')} />
            <NumberInput label="Attendance threshold (%)" min={0} max={100} {...numberProps('thresholdPercent')} />
            <NumberInput
              label="Late after (minutes)"
              description="Check-ins this long after the start count as late"
              min={0}
              max={1440}
              {...numberProps('lateAfterMinutes')}
            />
          </SimpleGrid>
          {canPickTeachers ? (
            <MultiSelect
              label="Teachers"
              placeholder={teachers.isPending ? 'Loading teachers…' : 'Pick one or more'}
              data={teachers.data ?? []}
              searchable
              clearable
              value={teacherIds}
              onChange={setTeacherIds}
              nothingFoundMessage="No teacher matches"
              error={form.errors.teacherIds ?? (teachers.isError ? errorMessage(teachers.error) : undefined)}
              data-testid="course-teachers"
            />
          ) : null}
          <Textarea label="Description" autosize minRows={2} maxRows={6} {...form.textProps('description')} />
          <Group justify="flex-end" mt="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="course-form-submit">
              {course ? 'Save' : 'Create course'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
