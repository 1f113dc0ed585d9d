import { Button, Group } from '@mantine/core';

/** "Load more" under a paged list (a TanStack infinite query); renders nothing on the last page. */
export function LoadMore({
  query,
  testId,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  testId?: string;
}) {
  if (!query.hasNextPage) return null;
  return (
    <Group justify="center">
      <Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage} data-testid={testId}>
        Load more
      </Button>
    </Group>
  );
}
