export { ADMIN_ENDPOINTS, type AdminResponse } from './admin.js';
export { type DiscoverEmulationsOptions, discoverEmulations } from './discover.js';
export { FAULT_FIELDS, type FaultDecision, type FaultSettings, MAX_LATENCY_MS, parseFaultSettings } from './faults.js';
export { NONCE_WINDOW_MS } from './nonce-cache.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEMO_CREDENTIALS,
  EMULATOR_ENV,
  emulatorOptionsFromEnv,
  MAX_BODY_BYTES,
  type StartEmulatorOptions,
} from './options.js';
export { REQUEST_LOG_CAPACITY, type RequestLogEntry, type SignatureVerdict } from './request-log.js';
export type { InvalidVersionHook } from './router.js';
export { EMULATOR_VERSION, type RunningEmulator, startEmulator } from './server.js';
