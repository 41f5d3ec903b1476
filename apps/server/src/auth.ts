/**
 * Bearer-token authentication. Tokens are kept only as SHA-256 digests and every presented token is
 * compared against every stored digest with `timingSafeEqual`, so neither the token nor which entry it
 * matched leaks through timing. A token may be limited to some plugins.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface TokenSpec {
  /** Who this token stands for; recorded in the audit trail. */
  readonly name: string;
  /** The token itself (hashed at once and never kept). */
  readonly token?: string;
  /** Or its SHA-256 digest, hex, so the config file need not hold the token. */
  readonly sha256?: string;
  /** Plugin ids this token may use; absent means every plugin. */
  readonly plugins?: readonly string[];
}

export interface Principal {
  readonly name: string;
  /** Undefined: every plugin. */
  readonly plugins: ReadonlySet<string> | undefined;
}

export function mayUse(principal: Principal, pluginId: string): boolean {
  return principal.plugins === undefined || principal.plugins.has(pluginId);
}

/** Minimum length of a configured token: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export class TokenConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenConfigError';
  }
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

interface Entry {
  readonly principal: Principal;
  readonly digest: Buffer;
}

export class TokenAuthenticator {
  readonly #entries: Entry[] = [];

  constructor(specs: readonly TokenSpec[]) {
    const names = new Set<string>();
    for (const [index, spec] of specs.entries()) {
      const where = `tokens[${index}]`;
      if (!NAME_PATTERN.test(spec.name)) {
        throw new TokenConfigError(`${where}.name "${spec.name}" must be 1-64 letters, digits, '.', '_', '@' or '-'.`);
      }
      if (names.has(spec.name)) throw new TokenConfigError(`${where}.name "${spec.name}" is used twice; each token needs its own name.`);
      names.add(spec.name);
      if ((spec.token === undefined) === (spec.sha256 === undefined)) {
        throw new TokenConfigError(`${where} ("${spec.name}") needs exactly one of "token" or "sha256".`);
      }
      let digest: Buffer;
      if (spec.token !== undefined) {
        if (spec.token.length < MIN_TOKEN_LENGTH || /\s/.test(spec.token)) {
          throw new TokenConfigError(`${where} ("${spec.name}"): a token must be at least ${MIN_TOKEN_LENGTH} characters without spaces.`);
        }
        digest = sha256(spec.token);
      } else {
        const hex = spec.sha256 ?? '';
        if (!/^[0-9a-f]{64}$/i.test(hex)) throw new TokenConfigError(`${where} ("${spec.name}").sha256 must be 64 hex digits.`);
        digest = Buffer.from(hex, 'hex');
      }
      if (this.#entries.some((e) => e.digest.equals(digest))) {
        throw new TokenConfigError(`${where} ("${spec.name}") has the same token as another entry.`);
      }
      const plugins = spec.plugins === undefined ? undefined : new Set(spec.plugins);
      if (plugins !== undefined && plugins.size === 0) {
        throw new TokenConfigError(`${where} ("${spec.name}").plugins is empty; leave it out to allow every plugin.`);
      }
      this.#entries.push({ principal: { name: spec.name, plugins }, digest });
    }
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The principal for an `Authorization` header value, or undefined. Constant time in the token. */
  authenticate(header: string | undefined): Principal | undefined {
    if (typeof header !== 'string') return undefined;
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!match?.[1]) return undefined;
    const presented = sha256(match[1]);
    let found: Principal | undefined;
    // No early exit: every entry is compared whatever matched.
    for (const entry of this.#entries) {
      if (timingSafeEqual(presented, entry.digest)) found = entry.principal;
    }
    return found;
  }
}

/**
 * `CANCELKIT_SERVER_TOKENS`: entries `name:token[:plugin1,plugin2]` separated by `;` or whitespace.
 */
export function parseTokensEnv(value: string): TokenSpec[] {
  const specs: TokenSpec[] = [];
  for (const [index, raw] of value.split(/[;\s]+/).filter(Boolean).entries()) {
    const parts = raw.split(':');
    const [name, token, plugins] = parts;
    if (parts.length < 2 || parts.length > 3 || !name || !token) {
      throw new TokenConfigError(`CANCELKIT_SERVER_TOKENS entry ${index + 1} must look like name:token or name:token:plugin1,plugin2.`);
    }
    const list = plugins?.split(',').filter(Boolean);
    specs.push({ name, token, ...(list !== undefined ? { plugins: list } : {}) });
  }
  return specs;
}
