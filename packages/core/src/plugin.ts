/**
 * The light entry for plugin implementations and emulations: the contract, errors, schema helpers,
 * transport helpers and the emulation contract — without the DI container or the engine.
 */
export * from './contract.js';
export * from './errors.js';
export * from './credentials.js';
export * from './endpoints.js';
export * from './logger.js';
export * from './schema.js';
export * from './emulation.js';
export * from './request-input.js';
export { checkEndpoint, isLoopbackHost, transportError, type HttpClient } from './transport.js';
export { CORE_VERSION, USER_AGENT } from './version.js';
