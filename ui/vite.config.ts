import { defineConfig } from 'vite';

// The Tauri shell embeds ui/dist at compile time and serves it under a strict CSP
// (script-src 'self'; style-src 'self'): no inline scripts or styles, relative paths.
export default defineConfig({
  base: './',
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs (fonts would be blocked by the CSP).
    assetsInlineLimit: 0,
    // The polyfill would be bundled anyway, but WebKitGTK supports modulepreload.
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
  },
  server: { port: 5173, strictPort: true },
});
