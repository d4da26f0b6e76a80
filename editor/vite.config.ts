import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const graphSource = fileURLToPath(new URL('../runtime/src/graph/index.ts', import.meta.url));
// The editor is served by the NestJS server at http://localhost:3000/; in `vite dev` / `vite preview`
// the API and Socket.IO are proxied there.
const apiTarget = process.env.STUDIOFLOW_API ?? 'http://localhost:3000';
const proxy = {
  '/api': { target: apiTarget, changeOrigin: true },
  '/socket.io': { target: apiTarget, changeOrigin: true, ws: true },
};

export default defineConfig({
  base: '/',
  plugins: [react()],
  resolve: {
    alias: { '@studioflow/runtime/graph': graphSource },
  },
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    // Three apps, one build: the editor at /, the sellers' shoot app at /app, the review console at /review.
    rollupOptions: {
      input: {
        editor: fileURLToPath(new URL('./index.html', import.meta.url)),
        app: fileURLToPath(new URL('./app/index.html', import.meta.url)),
        review: fileURLToPath(new URL('./review/index.html', import.meta.url)),
      },
    },
  },
});
