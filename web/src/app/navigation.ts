import type { ComponentType } from 'react';
import { IconBook, IconChartDonut, IconChartLine, IconDeviceDesktop, IconBuilding, IconCalendar, IconHome, IconQrcode, IconUsers, IconUsersGroup, IconWebhook } from '@tabler/icons-react';
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
    { label: 'Departments', to: '/admin/departments', icon: IconBuilding },
    { label: 'Sections', to: '/admin/sections', icon: IconUsersGroup },
    { label: 'Courses', to: '/courses', icon: IconBook },
    { label: 'Devices', to: '/admin/devices', icon: IconDeviceDesktop },
    { label: 'Integrations', to: '/admin/integrations', icon: IconWebhook },
    { label: 'Reports', to: '/admin/reports', icon: IconChartLine },
  ],
  teacher: [
    { label: 'Home', to: '/', icon: IconHome },
    { label: 'Courses', to: '/courses', icon: IconBook },
    { label: 'Calendar', to: '/calendar', icon: IconCalendar },
  ],
  student: [
    { label: 'Home', to: '/', icon: IconHome },
    { label: 'Check in', to: '/checkin', icon: IconQrcode },
    { label: 'Attendance', to: '/attendance', icon: IconChartDonut },
    { label: 'Calendar', to: '/calendar', icon: IconCalendar },
  ],
};
