import { useEffect, type ComponentType, type ReactNode } from 'react';
import { NavLink as RouterNavLink, useLocation } from 'react-router';
import { AppShell, Avatar, Burger, Group, Menu, NavLink, Text, ThemeIcon, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconChecklist, IconChevronDown, IconLogout, IconUser } from '@tabler/icons-react';

export interface LayoutNavItem {
  label: string;
  to: string;
  icon: ComponentType<{ size?: number | string; stroke?: number }>;
  /** Shown at the end of the item (e.g. how many requests wait for review). */
  badge?: ReactNode;
}

interface AppLayoutProps {
  nav: LayoutNavItem[];
  user: { name: string; username: string; role: string };
  onProfile: () => void;
  onSignOut: () => void;
  /** Shown in the header before the user menu (live indicator, notification bell). */
  headerActions?: ReactNode;
  children: ReactNode;
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase() || '?';
}

/** The signed-in shell: header with the user menu, and a navbar that folds behind a burger on phones. */
export function AppLayout({ nav, user, onProfile, onSignOut, headerActions, children }: AppLayoutProps) {
  const [opened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();

  // Picking a page on a phone closes the drawer.
  useEffect(() => {
    close();
  }, [location.pathname, close]);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding={{ base: 'sm', sm: 'md' }}
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? 'Close navigation' : 'Open navigation'}
              data-testid="nav-burger"
            />
            <ThemeIcon size="md" radius="md" visibleFrom="xs">
              <IconChecklist size={18} />
            </ThemeIcon>
            <Text fw={700} fz="lg">
              Rollbook
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {headerActions}
            <Menu position="bottom-end" withinPortal shadow="md" width={200}>
              <Menu.Target>
                {/* Named by its content (the user's name, then what it is), so what it shows is what speech input can say. */}
                <UnstyledButton data-testid="user-menu">
                  <Group gap={8} wrap="nowrap">
                    <Avatar radius="xl" size={32} color="blue" aria-hidden>
                      {initials(user.name)}
                    </Avatar>
                    <Text size="sm" fw={500} visibleFrom="xs" maw={160} truncate>
                      {user.name}
                    </Text>
                    <VisuallyHidden>Account menu</VisuallyHidden>
                    <IconChevronDown size={14} aria-hidden />
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>
                  {user.username} · {user.role}
                </Menu.Label>
                <Menu.Item leftSection={<IconUser size={16} />} onClick={onProfile} data-testid="menu-profile">
                  Profile
                </Menu.Item>
                <Menu.Item leftSection={<IconLogout size={16} />} onClick={onSignOut} data-testid="menu-sign-out">
                  Sign out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs" aria-label="Main navigation">
        {nav.map((item) => (
          <NavLink
            key={item.to}
            component={RouterNavLink}
            to={item.to}
            end={item.to === '/'}
            label={item.label}
            leftSection={<item.icon size={18} stroke={1.6} />}
            rightSection={item.badge}
            active={item.to === '/' ? location.pathname === '/' : location.pathname.startsWith(item.to)}
            data-testid={`nav-${item.label.toLowerCase().replace(/\s+/g, '-')}`}
          />
        ))}
      </AppShell.Navbar>

      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
