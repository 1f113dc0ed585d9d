import { useState, type MouseEvent, type ReactNode } from 'react';
import { Button, type ButtonProps } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { api } from '../lib/api-client.js';
import { notifyError } from '../lib/notify.js';

/**
 * A link to a file the server builds (CSV exports), authenticated by the session cookie. The access
 * cookie lives minutes; a page left open longer would save a "401" document instead of the file, so
 * a click first makes sure the session is fresh (the API client renews it) and then follows the link.
 */
export function DownloadButton({ href, children, testId, ...props }: ButtonProps & { href: string; children: ReactNode; testId?: string }) {
  const [busy, setBusy] = useState(false);

  async function onClick(event: MouseEvent<HTMLAnchorElement>) {
    // A modified click (new tab, save as) is the browser's business.
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0) return;
    event.preventDefault();
    setBusy(true);
    try {
      await api('/api/auth/me');
      const a = document.createElement('a');
      a.href = href;
      a.download = '';
      document.body.append(a);
      a.click();
      a.remove();
    } catch (error) {
      notifyError(error, 'Could not start the download');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Button
      component="a"
      href={href}
      download
      variant="default"
      leftSection={<IconDownload size={16} />}
      loading={busy}
      onClick={(e: MouseEvent<HTMLAnchorElement>) => void onClick(e)}
      data-testid={testId}
      {...props}
    >
      {children}
    </Button>
  );
}
