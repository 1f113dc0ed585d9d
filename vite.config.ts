import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('./web', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/web', import.meta.url));

// The SPA lives in web/; `npm run build:web` writes it to dist/web, which the server serves.
// In development Vite serves it and forwards /api (REST and the WebSocket) to the API server.
export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      // zod's sources carry `@__PURE__` comments Rollup cannot place; harmless, and not ours to fix.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/')) return;
        warn(warning);
      },
      output: {
        // Libraries change less often than the app: separate chunks stay cached across deploys.
        manualChunks(id) {
          if (!id.includes('/node_modules/')) return undefined;
          if (/\/node_modules\/(react|react-dom|scheduler|react-router)\//.test(id)) return 'react';
          if (id.includes('/node_modules/zod/')) return 'zod';
          if (id.includes('/node_modules/@tanstack/')) return 'query';
          // Recharts and its d3 helpers serve the report tab only: kept out of the chunk every page loads.
          if (/\/node_modules\/(@mantine\/charts|recharts|recharts-scale|react-smooth|victory-vendor|d3-[a-z-]+|internmap|lodash|decimal\.js-light|fast-equals|tiny-invariant|eventemitter3)\//.test(id)) {
            return 'charts';
          }
          return 'ui';
        },
      },
    },
  },
  server: {
    proxy: {
      // Host is passed through unchanged so the API sees the same origin the browser sends in
      // `Origin` (cookie-authenticated unsafe requests must carry a matching Origin).
      '/api': { target: 'http://localhost:3000', ws: true },
    },
  },
});
