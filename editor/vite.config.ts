import { fileURLToPath } from 'node:url';
import { constants as zlibConstants } from 'node:zlib';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';
import { vendorChunks, treeshakeGraphModel } from './build/chunks';

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
  plugins: [
    react(),
    // Precompressed copies beside each asset (.br, .gz); the server picks one by Accept-Encoding.
    compression({
      algorithms: [defineAlgorithm('brotliCompress', { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }), defineAlgorithm('gzip', { level: 9 })],
      include: /\.(js|css|html|svg|json)$/,
      threshold: 1024,
      skipIfLargerOrEqual: true,
    }),
  ],
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
      treeshake: treeshakeGraphModel,
      output: { codeSplitting: vendorChunks },
      input: {
        editor: fileURLToPath(new URL('./index.html', import.meta.url)),
        app: fileURLToPath(new URL('./app/index.html', import.meta.url)),
        review: fileURLToPath(new URL('./review/index.html', import.meta.url)),
      },
    },
  },
});
