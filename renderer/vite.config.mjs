// Builds the renderer into renderer/dist: served by the shell's app:// protocol and by the
// loopback test transport. Plain JS on purpose: vite's types pull @types/node into any program
// that includes them, and the renderer's tsconfig must not see Node.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts: the Content-Security-Policy allows script-src 'self' only.
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
});
