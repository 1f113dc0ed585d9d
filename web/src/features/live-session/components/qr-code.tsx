import { useEffect, useState } from 'react';
import { Skeleton } from '@mantine/core';
import QRCode from 'qrcode';

/**
 * The check-in URL as a QR, drawn in the browser (black on white with a quiet zone, which phone
 * cameras read best, also from the back of a room).
 */
export function QrCode({ url, size, testId = 'qr-code' }: { url: string; size: number | string; testId?: string }) {
  const [svg, setSvg] = useState<{ url: string; src: string } | null>(null);

  useEffect(() => {
    let cancelled = false;
    QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } })
      .then((text) => {
        if (!cancelled) setSvg({ url, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}` });
      })
      .catch(() => {
        if (!cancelled) setSvg(null);
      });
    return () => {
      cancelled = true;
    };
  }, [url]);

  if (!svg) return <Skeleton w={size} h={size} />;
  return (
    <img
      src={svg.src}
      alt="QR code: scan it with your phone's camera to check in"
      width={typeof size === 'number' ? size : undefined}
      style={{ width: size, height: size, imageRendering: 'pixelated', background: '#fff', display: 'block' }}
      data-testid={testId}
      data-url={svg.url}
    />
  );
}
