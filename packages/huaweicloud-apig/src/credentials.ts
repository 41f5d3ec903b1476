/**
 * Huawei Cloud credentials: AK/SK (optionally temporary, with a security token) or an IAM token, plus the
 * project id a request is scoped to. The chain, first match wins:
 *   1. config `providers.huaweicloud` (`ak` + `sk` [+ `securityToken`], or `authToken`);
 *   2. environment `HUAWEICLOUD_SDK_AK` / `_SK` / `_SECURITY_TOKEN` / `_PROJECT_ID` (what the official SDKs read);
 *   3. the Go/Python SDKs' profile file `~/.huaweicloud/credentials` (or `HUAWEICLOUD_SDK_CREDENTIALS_FILE`),
 *      section `[basic]`: `ak`, `sk`, `security_token`, `project_id`.
 * A half-configured source (an AK without its SK) is an error, never silently skipped.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CredentialRequest, type CredentialSource, InvalidInput, Unauthenticated } from '@cancelkit/core/plugin';

export interface HuaweiCredentials {
  readonly ak?: string;
  readonly sk?: string;
  /** Temporary (STS) keys: sent as a signed X-Security-Token. */
  readonly securityToken?: string;
  /** IAM user token (X-Auth-Token), used only when no AK/SK is configured. */
  readonly authToken?: string;
  readonly projectId?: string;
  /** Where these came from, e.g. `config`, `env`, `file ~/.huaweicloud/credentials`. Never a secret. */
  readonly source: string;
}

const ENV = {
  ak: 'HUAWEICLOUD_SDK_AK',
  sk: 'HUAWEICLOUD_SDK_SK',
  securityToken: 'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  projectId: 'HUAWEICLOUD_SDK_PROJECT_ID',
  credentialsFile: 'HUAWEICLOUD_SDK_CREDENTIALS_FILE',
} as const;

const CONFIG_PREFIX = 'providers.huaweicloud';

/** Spaces, C0 control characters and DEL: none may appear in a key, token or project id. */
function hasSpaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Rejects values that cannot travel in an HTTP header; names the field, never echoes the value. */
function checkValue(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new InvalidInput(`${field}: must be a string`, { issues: [{ field, message: 'must be a string' }] });
  }
  if (hasSpaceOrControl(value) || value.length > 16_384) {
    const message = 'contains spaces, line breaks or control characters, or is absurdly long';
    throw new InvalidInput(`${field}: ${message}`, {
      issues: [{ field, message, hint: 'copy the value again without surrounding whitespace' }],
    });
  }
  return value;
}

interface Candidate {
  ak?: string | undefined;
  sk?: string | undefined;
  securityToken?: string | undefined;
  authToken?: string | undefined;
  projectId?: string | undefined;
}

function complete(candidate: Candidate, source: string, names: { ak: string; sk: string }): HuaweiCredentials | undefined {
  const { ak, sk, securityToken, authToken, projectId } = candidate;
  if (ak !== undefined && sk === undefined) {
    throw new Unauthenticated(`${names.ak} is set but ${names.sk} is missing (${source}).`, {
      hint: `Set ${names.sk} too, or remove ${names.ak}.`,
    });
  }
  if (sk !== undefined && ak === undefined) {
    throw new Unauthenticated(`${names.sk} is set but ${names.ak} is missing (${source}).`, {
      hint: `Set ${names.ak} too, or remove ${names.sk}.`,
    });
  }
  if (ak === undefined && authToken === undefined) return undefined;
  return {
    ...(ak !== undefined ? { ak } : {}),
    ...(sk !== undefined ? { sk } : {}),
    ...(securityToken !== undefined ? { securityToken } : {}),
    ...(authToken !== undefined ? { authToken } : {}),
    ...(projectId !== undefined ? { projectId } : {}),
    source,
  };
}

/** Minimal INI reader: `[section]` headers and `key = value` lines; `#`/`;` comments. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = (header[1] ?? '').trim();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}

async function fromProfileFile(file: string, shown: string): Promise<HuaweiCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new Unauthenticated(`Could not read ${shown} (${String((error as { code?: unknown }).code ?? 'error')}).`);
  }
  const basic = parseIni(text).get('basic');
  if (!basic) return undefined;
  const field = (key: string) => checkValue(basic.get(key), `${shown} [basic] ${key}`);
  return complete(
    { ak: field('ak'), sk: field('sk'), securityToken: field('security_token'), projectId: field('project_id') },
    `file ${shown}`,
    { ak: `${shown} [basic] ak`, sk: `${shown} [basic] sk` },
  );
}

async function resolveHuaweiCredentials(request: CredentialRequest): Promise<HuaweiCredentials> {
  const config = request.providerConfig;
  const configured = complete(
    {
      ak: checkValue(config.ak, `${CONFIG_PREFIX}.ak`),
      sk: checkValue(config.sk, `${CONFIG_PREFIX}.sk`),
      securityToken: checkValue(config.securityToken, `${CONFIG_PREFIX}.securityToken`),
      authToken: checkValue(config.authToken, `${CONFIG_PREFIX}.authToken`),
      projectId: checkValue(config.projectId, `${CONFIG_PREFIX}.projectId`),
    },
    'config',
    { ak: `${CONFIG_PREFIX}.ak`, sk: `${CONFIG_PREFIX}.sk` },
  );
  if (configured) return configured;

  const env = request.env;
  const fromEnv = complete(
    {
      ak: checkValue(env[ENV.ak], ENV.ak),
      sk: checkValue(env[ENV.sk], ENV.sk),
      securityToken: checkValue(env[ENV.securityToken], ENV.securityToken),
      projectId: checkValue(env[ENV.projectId], ENV.projectId),
    },
    'env',
    { ak: ENV.ak, sk: ENV.sk },
  );
  if (fromEnv) return fromEnv;

  const explicitFile = env[ENV.credentialsFile];
  const file = explicitFile || path.join(request.homeDir, '.huaweicloud', 'credentials');
  const shown = explicitFile ? file : '~/.huaweicloud/credentials';
  const fromFile = await fromProfileFile(file, shown);
  if (fromFile) return fromFile;

  throw new Unauthenticated(
    `No Huawei Cloud credentials found. Looked in: config ${CONFIG_PREFIX} (ak + sk, or authToken); environment ${ENV.ak} / ${ENV.sk}; ${shown} [basic].`,
    { hint: `Set ${ENV.ak} and ${ENV.sk} (and ${ENV.projectId}), or configure ${CONFIG_PREFIX}.` },
  );
}

export const huaweiCredentialSource: CredentialSource<HuaweiCredentials> = Object.freeze({
  provider: 'huaweicloud',
  description: `config ${CONFIG_PREFIX}, environment ${ENV.ak}/${ENV.sk}, ~/.huaweicloud/credentials`,
  resolve: resolveHuaweiCredentials,
  secretsOf(credentials: HuaweiCredentials): string[] {
    return [credentials.sk, credentials.securityToken, credentials.authToken].filter((s): s is string => typeof s === 'string');
  },
});

/**
 * The project id for a region: `providerConfig.projectIds[region]`, then the credentials' own project id
 * (it belongs to the key's account), then `providerConfig.projectId`. Undefined when none is known.
 */
export function resolveProjectId(
  credentials: HuaweiCredentials,
  providerConfig: Readonly<Record<string, unknown>>,
  region: string,
): string | undefined {
  const perRegion = providerConfig.projectIds;
  if (typeof perRegion === 'object' && perRegion !== null && Object.hasOwn(perRegion, region)) {
    const value = (perRegion as Record<string, unknown>)[region];
    const checked = checkValue(value, `${CONFIG_PREFIX}.projectIds.${region}`);
    if (checked !== undefined) return checked;
  }
  if (credentials.projectId) return credentials.projectId;
  return checkValue(providerConfig.projectId, `${CONFIG_PREFIX}.projectId`);
}
