/**
 * `@cancelkit/testing`: the conformance kit plugin authors run from their own vitest files.
 *
 *   describeCancellablePlugin(plugin, { emulation, cases })
 *
 * The rule checks are exported as plain functions too, so a host or a script can run them.
 */
export { describeCancellablePlugin, type DescribeOptions } from './describe.js';
export {
  type AdminFields,
  type ConformanceCases,
  type ConformanceCredentials,
  type ConformanceOptions,
  conformanceRuleIds,
  type NotFoundCase,
  type OperationCase,
  runConformance,
  SLOW_CALL_TIMEOUT_MS,
} from './conformance.js';
export { type CheckManifestOptions, checkManifest } from './manifest-rules.js';
export { checkJsonSchema, checkParamsSchema, JSON_SCHEMA_TYPES } from './params-schema.js';
export { type CancelResult, checkCancelResult, outcomeOfThrown } from './outcomes.js';
export { type HostileInput, hostileInputs, OVERSIZED_LENGTH, prototypeWasPolluted } from './hostile.js';
export { findSecretLeaks, MIN_SECRET_LENGTH, redactSecrets, replaceSecrets } from './secrets.js';
export { type BuiltInRuleId, formatRuleFailure, RULE_TITLES, type RuleId, type RuleResult, type RuleStatus, ruleTitle } from './rules.js';
export { describeParseProperties, type ParsePropertiesOptions } from './parse-properties.js';
export { describeDemoScenarios } from './demo-scenarios.js';
