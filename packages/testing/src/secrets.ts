/**
 * Looks for credential secrets in anything a plugin hands back: thrown errors (their message, stack,
 * JSON form, own properties and cause chain), outcomes, states and log records. Reports where a secret
 * was found, never the secret itself.
 */

const MAX_DEPTH = 8;
const MAX_NODES = 20_000;

/** Secrets this short would match ordinary words; the core's redaction ignores them too. */
export const MIN_SECRET_LENGTH = 4;

function usableSecrets(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))];
}

function safeGet(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function safeJson(value: unknown): string | undefined {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch {
    return undefined;
  }
}

/**
 * Paths (e.g. `error.cause.options.headers.authorization`) under `label` where one of `secrets` occurs.
 * Walks own properties (enumerable or not, so `message`, `stack` and `cause` are included) to a bounded
 * depth, and also checks the JSON serialisation, which is what hosts print.
 */
export function findSecretLeaks(value: unknown, secrets: readonly string[], label = 'value'): string[] {
  const wanted = usableSecrets(secrets);
  if (wanted.length === 0) return [];
  const leaks = new Set<string>();
  const contains = (text: string) => wanted.some((s) => text.includes(s));
  const seen = new WeakSet<object>();
  let nodes = 0;

  const visit = (node: unknown, path: string, depth: number): void => {
    if (++nodes > MAX_NODES) return;
    if (typeof node === 'string') {
      if (contains(node)) leaks.add(path);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    if (seen.has(node)) return;
    seen.add(node);
    if (Buffer.isBuffer(node) || node instanceof Uint8Array) {
      if (node.byteLength <= 1_000_000 && contains(Buffer.from(node.buffer, node.byteOffset, node.byteLength).toString('latin1'))) leaks.add(path);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    if (node instanceof Map) {
      for (const [k, v] of node) visit(v, `${path}.${String(k)}`, depth + 1);
      return;
    }
    if (node instanceof Set) {
      let i = 0;
      for (const v of node) visit(v, `${path}[${i++}]`, depth + 1);
      return;
    }
    for (const key of Object.getOwnPropertyNames(node)) {
      if (Array.isArray(node) && key === 'length') continue;
      visit(safeGet(node, key), Array.isArray(node) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
    }
  };

  visit(value, label, 0);
  if (value instanceof Error) {
    // String(error) and the JSON form are what CLIs and servers print.
    if (contains(String(value))) leaks.add(`String(${label})`);
  }
  const json = safeJson(value);
  if (json !== undefined && contains(json)) leaks.add(`JSON.stringify(${label})`);
  return [...leaks];
}

/** Replaces every secret in a text, for messages the kit itself prints. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of usableSecrets(secrets)) out = out.split(secret).join('[REDACTED]');
  return out;
}

/**
 * A copy of `value` in which every string equal to or containing a secret has that secret replaced by
 * `replacement(secret)`: builds "the same credentials with a wrong secret" for any credential shape.
 */
export function replaceSecrets<T>(value: T, secrets: readonly string[], replacement: (secret: string) => string): T {
  const wanted = usableSecrets(secrets);
  const swap = (text: string) => wanted.reduce((out, s) => out.split(s).join(replacement(s)), text);
  const copy = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') return swap(node);
    if (typeof node !== 'object' || node === null || depth > MAX_DEPTH) return node;
    if (Array.isArray(node)) return node.map((v) => copy(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = copy(v, depth + 1);
    return out;
  };
  return copy(value, 0) as T;
}
