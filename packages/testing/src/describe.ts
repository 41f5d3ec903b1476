/**
 * `describeCancellablePlugin`: the conformance kit as a vitest suite. Called at the top level of a plugin
 * author's test file; every rule is its own test, and a failing test's message starts with the rule id.
 */
import { beforeAll, describe, it } from 'vitest';
import type { CancellablePlugin } from '@cancelkit/core';
import { type ConformanceOptions, conformanceRuleIds, runConformance } from './conformance.js';
import { formatRuleFailure, type RuleId, type RuleResult, ruleTitle } from './rules.js';

export interface DescribeOptions extends ConformanceOptions {
  /** Time for the whole run (emulator start, every rule), default 60 s. */
  readonly timeoutMs?: number;
}

/** Registers `describe('cancelkit conformance: <id>')` with one test per rule. */
export function describeCancellablePlugin<P>(plugin: CancellablePlugin<P>, options: DescribeOptions): void {
  const id = (plugin as { manifest?: { id?: unknown } })?.manifest?.id;
  const name = typeof id === 'string' ? id : 'plugin';
  describe(`cancelkit conformance: ${name}`, () => {
    const results = new Map<RuleId, RuleResult>();
    // One run evaluates every rule (one emulator, shared fixtures); each test then reports its rule.
    beforeAll(async () => {
      for (const result of await runConformance(plugin, options)) results.set(result.rule, result);
    }, options.timeoutMs ?? 60_000);

    for (const rule of conformanceRuleIds(options.cases)) {
      it(`[${rule}] ${ruleTitle(rule)}`, () => {
        const result = results.get(rule);
        if (!result) throw new Error(`[${rule}] was not evaluated: the conformance run did not finish (see the error above)`);
        if (result.status === 'failed') throw new Error(formatRuleFailure(result, name));
      });
    }
  });
}
