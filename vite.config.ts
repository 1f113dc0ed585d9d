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
  },
  server: {
    proxy: {
      // Host is passed through unchanged so the API sees the same origin the browser sends in
      // `Origin` (cookie-authenticated unsafe requests must carry a matching Origin).
      '/api': { target: 'http://localhost:3000', ws: true },
    },
  },
});
