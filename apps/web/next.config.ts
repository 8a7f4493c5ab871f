import type { NextConfig } from 'next';
import createNextIntlPlugin from 'next-intl/plugin';

const withNextIntl = createNextIntlPlugin('./i18n/request.ts');

const config: NextConfig = {
  // Workspace packages ship TypeScript sources.
  transpilePackages: ['@dockyard/lessons', '@dockyard/protocol', '@dockyard/db'],
  // Native / WASM-loading server packages stay plain Node requires.
  serverExternalPackages: [
    'better-sqlite3',
    '@prisma/adapter-better-sqlite3',
    '@prisma/adapter-pg',
    'pg',
    'shiki',
    'socket.io-client',
  ],
  poweredByHeader: false,
  // CI type-checks every workspace with `npm run typecheck`; skip the second pass in `next build`.
  typescript: { ignoreBuildErrors: true },
  reactStrictMode: true,
  // forbidden() answers students on instructor pages with a 403 page.
  experimental: { authInterrupts: true },
  // Workspace packages use NodeNext-style `./x.js` imports of TypeScript files; Turbopack cannot map
  // those, so the app builds with webpack (`next build --webpack`) and this alias.
  webpack: (webpackConfig: { resolve: { extensionAlias?: Record<string, string[]> } }) => {
    webpackConfig.resolve.extensionAlias = {
      ...webpackConfig.resolve.extensionAlias,
      '.js': ['.ts', '.tsx', '.js'],
      '.mjs': ['.mts', '.mjs'],
    };
    return webpackConfig;
  },
};

export default withNextIntl(config);
