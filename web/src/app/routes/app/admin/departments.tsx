import { useDocumentTitle } from '@mantine/hooks';
import { DepartmentsManager } from '../../../../features/structure/components/departments-manager.js';

export function DepartmentsRoute() {
  useDocumentTitle('Departments · Rollbook');
  return <DepartmentsManager />;
}
