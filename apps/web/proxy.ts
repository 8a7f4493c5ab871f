import createMiddleware from 'next-intl/middleware';
import { routing } from './i18n/routing';

export default createMiddleware(routing);

export const config = {
  // Everything except API routes, socket.io, Next internals and files with an extension.
  matcher: ['/((?!api|socket\\.io|_next|_vercel|.*\\..*).*)'],
};
