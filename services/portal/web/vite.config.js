// Builds the portal's web app into dist/, which govops-portal serves (`make web`; docs/portal.md).
// Element Plus components are imported on demand (unplugin-vue-components) to keep the first load small.
import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_DEVTOOLS__: false,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        'api-docs': fileURLToPath(new URL('api-docs.html', import.meta.url)),
      },
    },
  },
  server: {
    // `npm run dev` against a running gateway (GOVOPS_PORTAL_URL, default the `make run` port)
    proxy: { '/api': process.env.GOVOPS_PORTAL_URL || 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.js'],
    // Element Plus imports its CSS from JS: let Vite transform it rather than Node load it
    server: { deps: { inline: ['element-plus'] } },
  },
})
