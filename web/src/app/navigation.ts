import type { ComponentType } from 'react';
import { IconHome, IconQrcode, IconUsers } from '@tabler/icons-react';
import type { Role } from '../../../common/user.schemas.js';

export interface NavItem {
  label: string;
  to: string;
  icon: ComponentType<{ size?: number | string; stroke?: number }>;
}

/** Each role's navigation, in order. A new page for a role is one line here plus its route. */
export const NAVIGATION: Record<Role, NavItem[]> = {
  admin: [
    { label: 'Home', to: '/', icon: IconHome },
    { label: 'Users', to: '/admin/users', icon: IconUsers },
  ],
  teacher: [{ label: 'Home', to: '/', icon: IconHome }],
  student: [
    { label: 'Home', to: '/', icon: IconHome },
    { label: 'Check in', to: '/checkin', icon: IconQrcode },
  ],
};
