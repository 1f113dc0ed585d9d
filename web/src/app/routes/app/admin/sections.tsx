import { useDocumentTitle } from '@mantine/hooks';
import { SectionsManager } from '../../../../features/structure/components/sections-manager.js';

export function SectionsRoute() {
  useDocumentTitle('Sections · Rollbook');
  return <SectionsManager />;
}
