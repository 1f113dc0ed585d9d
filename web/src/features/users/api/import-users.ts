import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ImportResult } from '../../../../../common/user.schemas.js';
import { api } from '../../../lib/api-client.js';
import { usersQueryKey } from './get-users.js';

export const IMPORT_HEADER = ['role', 'username', 'name', 'email', 'studentNumber', 'staffNumber', 'section', 'password', 'guardianEmail'] as const;

export const IMPORT_TEMPLATE = [
  IMPORT_HEADER.join(','),
  'student,jdoe,Jane Doe,jane.doe@example.edu,S1001,,,change-me-now,parent.doe@example.com',
  'teacher,asmith,Alan Smith,alan.smith@example.edu,,T042,,change-me-now,',
  '',
].join('\n');

export interface ImportInput {
  csv: string;
  /** Write the valid lines even when others are invalid. */
  partial: boolean;
}

export const importUsers = ({ csv, partial }: ImportInput) =>
  api<ImportResult>('/api/users/import', {
    method: 'POST',
    query: { partial: partial ? 'true' : undefined },
    body: csv,
    contentType: 'text/csv',
  });

export function useImportUsers() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: importUsers,
    onSuccess: (result) => {
      if (result.created + result.updated > 0) void queryClient.invalidateQueries({ queryKey: usersQueryKey });
    },
    meta: { inlineErrors: true },
  });
}
