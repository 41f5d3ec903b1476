/**
 * Generic hostile inputs every `parse` must reject, derived from one valid params object: wrong shapes,
 * prototype-pollution keys, header/log injection (CR, LF, NUL) and oversized strings in every string
 * parameter.
 */

export interface HostileInput {
  /** What the input is, for failure messages. */
  readonly label: string;
  readonly input: unknown;
  /** The parameter the input corrupts; the InvalidInput must name it. */
  readonly field?: string;
}

export const OVERSIZED_LENGTH = 100_000;

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone(value: Record<string, unknown>): Record<string, unknown> {
  return structuredClone(value);
}

function withOwnKey(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = clone(base);
  // defineProperty creates an own `__proto__` key (as JSON.parse does) instead of calling the setter.
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

function stringVariants(value: string): Array<{ name: string; value: string }> {
  return [
    { name: 'CRLF', value: `${value}\r\nX-Injected: 1` },
    { name: 'LF', value: `${value}\ninjected` },
    { name: 'NUL', value: `${value}\u0000` },
    { name: '100 KB', value: 'a'.repeat(OVERSIZED_LENGTH) },
  ];
}

/** The hostile inputs for a plugin whose valid params look like `base`. */
export function hostileInputs(base: unknown): HostileInput[] {
  const inputs: HostileInput[] = [
    { label: 'null', input: null },
    { label: 'undefined', input: undefined },
    { label: 'a number', input: 42 },
    { label: 'a string', input: 'not-an-object' },
    { label: 'an empty array', input: [] },
    { label: 'an array holding valid params', input: [base] },
  ];
  if (!isPlainRecord(base)) return inputs;
  inputs.push(
    { label: 'an empty object', input: {} },
    { label: 'valid params plus an own "__proto__" key', input: withOwnKey(base, '__proto__', { polluted: 'yes' }), field: '__proto__' },
    {
      label: 'valid params plus a "constructor.prototype" key',
      input: withOwnKey(base, 'constructor', { prototype: { polluted: 'yes' } }),
      field: 'constructor',
    },
  );
  for (const [key, value] of Object.entries(base)) {
    if (typeof value === 'string') {
      for (const variant of stringVariants(value)) {
        inputs.push({ label: `${key} with ${variant.name}`, input: { ...clone(base), [key]: variant.value }, field: key });
      }
    } else if (Array.isArray(value) && typeof value[0] === 'string') {
      for (const variant of stringVariants(value[0])) {
        inputs.push({ label: `${key}[0] with ${variant.name}`, input: { ...clone(base), [key]: [variant.value, ...value.slice(1)] }, field: key });
      }
    }
  }
  return inputs;
}

/** True if `({}).polluted` became defined: some parse wrote through a `__proto__` key. */
export function prototypeWasPolluted(): boolean {
  return (Object.prototype as Record<string, unknown>).polluted !== undefined;
}
