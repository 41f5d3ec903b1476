/**
 * The `acme.jobs.job` plugin. The manifest and the emulation have their own entries (`./manifest`,
 * `./emulation`) so hosts load them without the client.
 */
import { acmeJobPlugin } from './plugin.js';

export { acmeJobPlugin } from './plugin.js';
export { ACME_ENV, type AcmeCredentials, acmeCredentialSource } from './credentials.js';
export { type AcmeJobParams, acmeJobParamsSchema } from './schema.js';
export { type AcmeReply, acmeError } from './client.js';

export default acmeJobPlugin;
