import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('./web', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/web', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * `import { IconX } from '@tabler/icons-react'` pulls the package's barrel: 6,000+ icon modules that
 * Vite parses and Rollup tree-shakes on every build (most of a build's modules and time). This rewrites
 * such imports in our sources to the per-icon ESM files (`dist/esm/icons/IconX.mjs`), so feature code
 * keeps the natural import and the build never sees the barrel. The name → file map is read from the
 * barrel itself, so renamed icons (`IconBoxSeam` → `IconPackage.mjs`) keep working.
 */
function tablerIconsPerIcon(): Plugin {
  const pkg = '@tabler/icons-react';
  const barrelFile = require.resolve(`${pkg}/dist/esm/tabler-icons-react.mjs`);
  const files = new Map<string, string>();
  for (const match of readFileSync(barrelFile, 'utf8').matchAll(/export \{([^}]+)\} from '\.\/([^']+)';/g)) {
    for (const name of match[1].matchAll(/default as (\w+)/g)) files.set(name[1], `${pkg}/dist/esm/${match[2]}`);
  }
  if (files.size < 1000) throw new Error(`${pkg}: the barrel's layout changed (only ${files.size} icons found); update tablerIconsPerIcon in vite.config.ts`);
  const importRe = /import\s*\{([^}]*)\}\s*from\s*['"]@tabler\/icons-react['"];?/g;
  return {
    name: 'rollbook:tabler-icons-per-icon',
    // Before esbuild, so it sees the TypeScript and can leave type-only names on the barrel import.
    enforce: 'pre',
    transform(code, id) {
      if (id.includes('/node_modules/') || !code.includes('@tabler/icons-react')) return null;
      let changed = false;
      const out = code.replace(importRe, (whole, list: string) => {
        const lines: string[] = [];
        const types: string[] = [];
        const rest: string[] = [];
        for (const raw of list.split(',')) {
          const spec = raw.trim();
          if (!spec) continue;
          const [imported, local = imported] = spec.split(/\s+as\s+/).map((s) => s.trim());
          const file = files.get(imported);
          // Inline type names (`type Icon`) get an `import type` of their own: erased, whereas an
          // emptied `import { } from` would be kept (verbatimModuleSyntax) and load the barrel again.
          if (imported.startsWith('type ')) types.push(spec.replace(/^type\s+/, ''));
          else if (file) lines.push(`import ${local} from '${file}';`);
          else rest.push(spec); // not an icon (e.g. createReactComponent): stays on the package import
        }
        if (lines.length === 0) return whole;
        changed = true;
        if (types.length > 0) lines.push(`import type { ${types.join(', ')} } from '${pkg}';`);
        if (rest.length > 0) lines.push(`import { ${rest.join(', ')} } from '${pkg}';`);
        // Same number of lines as the original import, so the rest of the file keeps its source positions.
        return lines.join(' ') + '\n'.repeat(whole.split('\n').length - 1);
      });
      return changed ? { code: out, map: null } : null;
    },
  };
}

/**
 * Writes `<file>.br` and `<file>.gz` next to every text asset of the build, once; the server sends them
 * as they are (@fastify/static `preCompressed`), so phones get compressed JavaScript without the server
 * compressing anything per request. Brotli quality 10, not 11: measured on this build, 11 takes 1.8×
 * the CPU (3.3 s vs 1.9 s, on the first start's critical path) for files 1.8 % smaller. Source maps are
 * skipped (only developers' tools fetch them) and so is anything compression would not make smaller.
 */
function precompress(): Plugin {
  const brotli = promisify(brotliCompress);
  const gz = promisify(gzip);
  const compressible = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  return {
    name: 'rollbook:precompress',
    apply: 'build',
    async closeBundle() {
      // Small files too: every file a phone fetches should arrive compressed when that is smaller.
      const targets = walk(outDir).filter((f) => compressible.test(f));
      await Promise.all(
        targets.map(async (file) => {
          const data = readFileSync(file);
          const [br, gzipped] = await Promise.all([
            brotli(data, {
              params: {
                [zlib.BROTLI_PARAM_QUALITY]: 10,
                [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
                [zlib.BROTLI_PARAM_SIZE_HINT]: data.length,
              },
            }),
            gz(data, { level: zlib.Z_BEST_COMPRESSION }),
          ]);
          if (br.length < data.length) writeFileSync(`${file}.br`, br);
          if (gzipped.length < data.length) writeFileSync(`${file}.gz`, gzipped);
        }),
      );
    },
  };
}

// The SPA lives in web/; `npm run build:web` writes it to dist/web, which the server serves.
// In development Vite serves it and forwards /api (REST and the WebSocket) to the API server.
export default defineConfig({
  root,
  plugins: [tablerIconsPerIcon(), react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: true,
    // dist/web/.vite/manifest.json: which chunks each page needs (the phone-page test reads it).
    manifest: true,
    // Vite's own gzip estimate of every chunk: the real files are compressed by `precompress`.
    reportCompressedSize: false,
    rollupOptions: {
      // zod's sources carry `@__PURE__` comments Rollup cannot place; harmless, and not ours to fix.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/')) return;
        warn(warning);
      },
      output: {
        // Libraries change less often than the app: separate chunks stay cached across deploys.
        // Only libraries every page needs are named here. The rest (Mantine's components, dates, the
        // charts) Rollup splits along the lazy routes that import them, so a student's phone never
        // downloads what only teacher or admin pages use. (Naming a chunk for a library that shares
        // dependencies with every page, e.g. @mantine/charts → @mantine/core, would drag those shared
        // modules into it and make every page load it.)
        manualChunks(id) {
          if (!id.includes('/node_modules/')) return undefined;
          if (/\/node_modules\/(react|react-dom|scheduler|react-router)\//.test(id)) return 'react';
          if (id.includes('/node_modules/zod/')) return 'zod';
          if (id.includes('/node_modules/@tanstack/')) return 'query';
          return undefined;
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
