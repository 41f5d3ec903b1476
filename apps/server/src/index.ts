export { buildServer, DEFAULT_LIMITS, type BuildServerOptions, type ServerLimits, type ServerLogOptions } from './server.js';
export { TokenAuthenticator, parseTokensEnv, sha256, MIN_TOKEN_LENGTH, TokenConfigError, type TokenSpec, type Principal } from './auth.js';
export { JobStore, StoreError, type JobRecord, type TargetRecord, type JobStatus, type TargetStatus, type JobSummary } from './store.js';
export { buildOpenApi } from './openapi.js';
export { type Problem, PROBLEM_CONTENT_TYPE } from './problem.js';
export type { RateLimitSettings } from './rate-limit.js';
export { SERVER_VERSION } from './version.js';
export { startServer, type StartedServer, type StartOptions } from './start.js';
export { resolveServerConfig, parseFlags, ConfigError, ServerConfigSchema, type ResolvedServerConfig, type ServerConfigFile } from './config.js';
