import { useState } from 'react';
import { Link } from 'react-router';
import { Badge, Card, Center, Group, Loader, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { QueryError } from '../../../components/query-error.js';
import { useCoursePages } from '../api/courses.js';
import { LoadMore } from '../../../components/load-more.js';

/** The courses the caller may manage, as cards linking to each course page. */
export function CoursesList({ emptyHint }: { emptyHint: string }) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const pages = useCoursePages(q);
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack gap="sm">
      <TextInput
        placeholder="Search by code or name"
        aria-label="Search courses"
        leftSection={<IconSearch size={16} />}
        rightSection={pages.isFetching && !pages.isFetchingNextPage && !pages.isPending ? <Loader size={14} /> : null}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        maw={420}
        data-testid="courses-search"
      />
      {pages.isError ? <QueryError title="Could not load courses" error={pages.error} onRetry={() => void pages.refetch()} testId="courses-error" /> : null}
      {pages.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading courses" />
        </Center>
      ) : items.length === 0 && !pages.isError ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="courses-empty">
          {q ? 'No course matches.' : emptyHint}
        </Text>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm" data-testid="courses-list">
          {items.map((c) => (
            <Card
              key={c.id}
              withBorder
              padding="md"
              component={Link}
              to={`/courses/${c.id}`}
              data-testid={`course-card-${c.code}`}
              style={{ textDecoration: 'none', color: 'inherit' }}
            >
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <div style={{ minWidth: 0 }}>
                  <Text fw={700}>{c.code}</Text>
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {c.name}
                  </Text>
                </div>
                {c.term ? (
                  <Badge variant="light" color="gray" style={{ flex: 'none' }}>
                    {c.term}
                  </Badge>
                ) : null}
              </Group>
              <Text size="xs" c="dimmed" mt="xs">
                {c.teacherIds.length} {c.teacherIds.length === 1 ? 'teacher' : 'teachers'} · threshold {c.thresholdPercent}%
              </Text>
            </Card>
          ))}
        </SimpleGrid>
      )}
      <LoadMore query={pages} />
    </Stack>
  );
}
