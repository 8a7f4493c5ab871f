import type { Route } from '../http.js';

export const routes: Route[] = [];
