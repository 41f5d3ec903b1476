/**
 * Parameter validation through any Standard Schema v1 validator (zod 4, valibot, arktype, …), so core
 * depends on no schema library and plugin authors keep their own. Every problem becomes one InputIssue.
 */
import { type InputIssue, invalidInput, isCancelKitError } from './errors.js';

/** The Standard Schema v1 interface (https://standardschema.dev), inlined: it is a types-only spec. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function pathOf(issue: StandardIssue): string {
  return (issue.path ?? [])
    .map((p) => (typeof p === 'object' && p !== null ? p.key : p))
    .map((k) => String(k))
    .join('.');
}

/** Rejects objects carrying prototype-pollution keys anywhere (they are never legitimate params). */
export function findForbiddenKeys(value: unknown, path = '', depth = 0): InputIssue[] {
  if (typeof value !== 'object' || value === null || depth > 8) return [];
  const issues: InputIssue[] = [];
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) issues.push({ field: here, message: 'is not an allowed parameter name' });
    else issues.push(...findForbiddenKeys((value as Record<string, unknown>)[key], here, depth + 1));
  }
  return issues;
}

/** Strings that are not well-formed UTF-16 (a lone surrogate cannot be encoded into a request). */
export function findMalformedStrings(value: unknown, path = '', depth = 0): InputIssue[] {
  if (typeof value === 'string') {
    return /[\uD800-\uDFFF]/u.test(value) ? [{ field: path, message: 'is not well-formed text (it holds a lone UTF-16 surrogate)', hint: 'pass valid Unicode text' }] : [];
  }
  if (typeof value !== 'object' || value === null || depth > 8) return [];
  const issues: InputIssue[] = [];
  for (const key of Object.keys(value)) {
    issues.push(...findMalformedStrings((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1));
  }
  return issues;
}

/**
 * Validate synchronously (plugins' `parse` is synchronous: no I/O may happen before a request is
 * decided). Throws InvalidInput naming every field.
 */
export function parseWithSchema<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  input: unknown,
  subject = 'params',
): Output {
  let result: StandardResult<Output> | Promise<StandardResult<Output>>;
  try {
    const forbidden = [...findForbiddenKeys(input), ...findMalformedStrings(input)];
    if (forbidden.length > 0) throw invalidInput(forbidden, subject);
    result = schema['~standard'].validate(input);
  } catch (thrown) {
    if (isCancelKitError(thrown)) throw thrown;
    // Input whose getters throw (or a Proxy) cannot be read: that is bad input, not a crash.
    throw invalidInput([{ field: '', message: `could not be read (${thrown instanceof Error ? thrown.name : typeof thrown})`, hint: 'pass plain data' }], subject);
  }
  if (result instanceof Promise) {
    throw new TypeError('parseWithSchema needs a synchronous schema (no async refinements in params schemas).');
  }
  if (result.issues) {
    throw invalidInput(
      result.issues.map((issue) => ({ field: pathOf(issue), message: issue.message })),
      subject,
    );
  }
  return result.value;
}

/** camelCase → kebab-case, the CLI's flag spelling of a manifest field (`taskId` → `task-id`). */
export function toKebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** kebab-case → camelCase (`task-id` → `taskId`). */
export function toCamelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
