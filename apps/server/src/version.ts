import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The server package's own version, for the OpenAPI document and the banner. */
export const SERVER_VERSION: string = (require('../package.json') as { version: string }).version;
