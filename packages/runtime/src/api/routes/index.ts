import type { Route } from '../http.js';
import { routes as build } from './build.js';
import { routes as containers } from './containers.js';
import { routes as distribution } from './distribution.js';
import { routes as exec } from './exec.js';
import { routes as images } from './images.js';
import { routes as networks } from './networks.js';
import { routes as system } from './system.js';
import { routes as volumes } from './volumes.js';

/** Every endpoint the Engine API serves, one module per resource. */
export const allRoutes: Route[] = [
  ...system,
  ...containers,
  ...exec,
  ...images,
  ...distribution,
  ...build,
  ...networks,
  ...volumes,
];
