/**
 * The conformance rules, by id. Every failure message starts with the rule id in brackets so a red test
 * (or a `runConformance` result) says which promise of the contract was broken.
 */

export const RULE_TITLES = {
  manifest: 'the manifest is valid (id, prefixes, docs URL, params JSON Schema, capabilities, core range)',
  'parse-rejects-invalid': 'parse rejects invalid and hostile input with InvalidInput naming a field',
  'parse-sends-no-request': 'parse never sends a request',
  'inspect-read-only': 'inspect never changes the operation and sends only read-only calls',
  'inspect-states': 'inspect returns one state per target that agrees with the case',
  'cancel-outcomes:cancellable': 'cancel reports exactly one outcome per target: cancellable case',
  'cancel-outcomes:not-cancellable': 'cancel reports exactly one outcome per target: not-cancellable case',
  'cancel-outcomes:not-found': 'cancel reports exactly one outcome per target: not-found case',
  'errors:throttled': "the cloud's throttling error maps to Throttled",
  'errors:transient': 'server errors, connection resets and timeouts map to Transient (ambiguous when the cancel may have been applied)',
  'errors:unauthenticated': 'a wrong secret maps to Unauthenticated',
  'errors:permission-denied': "the cloud's permission refusal (403) maps to PermissionDenied",
  'no-secret-leak': 'no credential secret appears in any error, outcome, state or log record',
} as const;

export type BuiltInRuleId = keyof typeof RULE_TITLES;
/** Built-in rules plus `cancel-outcomes:<name>` for each extra case. */
export type RuleId = BuiltInRuleId | `cancel-outcomes:${string}`;

export type RuleStatus = 'passed' | 'failed' | 'not-applicable';

export interface RuleResult {
  readonly rule: RuleId;
  readonly title: string;
  readonly status: RuleStatus;
  /** What is wrong, one sentence each; empty when passed. */
  readonly problems: readonly string[];
  /** Why a rule does not apply (e.g. a plugin without `inspect`). */
  readonly note?: string;
}

/** The message a failed rule reports: the rule id first, then every problem. */
export function formatRuleFailure(result: RuleResult, pluginId: string): string {
  return [`[${result.rule}] ${pluginId} breaks the rule "${result.title}":`, ...result.problems.map((p) => `  - ${p}`)].join('\n');
}

/** The title of a rule, extra cases included. */
export function ruleTitle(rule: RuleId): string {
  if (rule in RULE_TITLES) return RULE_TITLES[rule as BuiltInRuleId];
  return `cancel reports exactly one outcome per target: ${rule.slice('cancel-outcomes:'.length)} case`;
}
