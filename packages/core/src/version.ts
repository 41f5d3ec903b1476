import { readFileSync } from 'node:fs';

/** The running core's version, read from its own package.json so releases never drift from code. */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const USER_AGENT = `cancelkit/${CORE_VERSION}`;
