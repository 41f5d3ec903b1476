/**
 * Alibaba Cloud credentials, found in the order the official tools use: explicit config, environment,
 * the aliyun CLI's `~/.aliyun/config.json`, then the shared `~/.alibabacloud/credentials` ini file.
 * Everything comes from the request (`env`, `homeDir`), never from `process.env` or `os.homedir()`, so
 * hosts and tests control it.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { type CredentialRequest, type CredentialSource, CancelKitError, InvalidInput } from '@cancelkit/core/plugin';

export interface AlibabaCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** STS token of a temporary key. */
  readonly securityToken?: string;
  /** Where they were found, e.g. `environment` or `~/.aliyun/config.json profile "default"`. Never secret. */
  readonly source: string;
}

const ENV_ID = 'ALIBABA_CLOUD_ACCESS_KEY_ID';
const ENV_SECRET = 'ALIBABA_CLOUD_ACCESS_KEY_SECRET';
const ENV_TOKEN = 'ALIBABA_CLOUD_SECURITY_TOKEN';
const ENV_PROFILE = 'ALIBABA_CLOUD_PROFILE';
const ENV_CLI_DISABLED = 'ALIBABA_CLOUD_CLI_PROFILE_DISABLED';
const ENV_CREDENTIALS_FILE = 'ALIBABA_CLOUD_CREDENTIALS_FILE';

function unauthenticated(message: string, hint?: string): CancelKitError {
  return new CancelKitError('Unauthenticated', message, hint === undefined ? {} : { hint });
}

/** Key ids travel in headers (`Credential=<id>,…`): printable ASCII without separators. */
function checkKey(where: string, accessKeyId: string, accessKeySecret: string, securityToken: string | undefined): void {
  const problems: string[] = [];
  if (!/^[\x21-\x7e]+$/.test(accessKeyId) || /[,;:=]/.test(accessKeyId)) problems.push('the AccessKey id has characters an AccessKey id cannot have');
  if (!/^[\x20-\x7e]+$/.test(accessKeySecret)) problems.push('the AccessKey secret is empty or has non-printable characters');
  if (securityToken !== undefined && !/^[\x21-\x7e]+$/.test(securityToken)) problems.push('the security token is empty or has non-printable characters');
  if (problems.length > 0) throw unauthenticated(`Alibaba Cloud credentials from ${where} are malformed: ${problems.join('; ')}.`);
}

function make(where: string, accessKeyId: string, accessKeySecret: string, securityToken: string | undefined): AlibabaCredentials {
  const id = accessKeyId.trim();
  const secret = accessKeySecret.trim();
  const token = securityToken?.trim() || undefined;
  checkKey(where, id, secret, token);
  return token === undefined ? { accessKeyId: id, accessKeySecret: secret, source: where } : { accessKeyId: id, accessKeySecret: secret, securityToken: token, source: where };
}

function stringField(config: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = config[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function fromProviderConfig(config: Readonly<Record<string, unknown>>): AlibabaCredentials | undefined {
  const id = stringField(config, 'accessKeyId');
  const secret = stringField(config, 'accessKeySecret');
  if (id === undefined && secret === undefined) return undefined;
  if (id === undefined || secret === undefined) {
    const absent = id === undefined ? 'accessKeyId' : 'accessKeySecret';
    throw unauthenticated(`providers.alibaba.${absent} is missing while its partner is set.`, 'Set both accessKeyId and accessKeySecret, or neither.');
  }
  return make('config providers.alibaba', id, secret, stringField(config, 'securityToken'));
}

function fromEnvironment(env: Readonly<Record<string, string | undefined>>): AlibabaCredentials | undefined {
  const id = env[ENV_ID]?.trim() || undefined;
  const secret = env[ENV_SECRET]?.trim() || undefined;
  if (id === undefined && secret === undefined) return undefined;
  if (id === undefined || secret === undefined) {
    throw unauthenticated(`Environment variable ${id === undefined ? ENV_ID : ENV_SECRET} is empty while ${id === undefined ? ENV_SECRET : ENV_ID} is set.`);
  }
  return make('environment', id, secret, env[ENV_TOKEN]);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw unauthenticated(`Could not read ${path} (${typeof code === 'string' ? code : 'error'}).`);
  }
}

interface CliProfile {
  readonly name?: unknown;
  readonly mode?: unknown;
  readonly access_key_id?: unknown;
  readonly access_key_secret?: unknown;
  readonly sts_token?: unknown;
}

const CLI_FILE = '~/.aliyun/config.json';

/** ALIBABA_CLOUD_PROFILE, or undefined when unset or empty (@alicloud/credentials reads it with `||`). */
function envProfile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env[ENV_PROFILE];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The aliyun CLI profile. Returns undefined when the file is absent or holds no profile of that name.
 * A selected profile of a mode cancelkit cannot use (RamRoleArn, EcsRamRole, …) stops the chain rather
 * than silently falling through to a different identity.
 */
async function fromCliProfile(request: CredentialRequest, looked: string[], known: Set<string>): Promise<AlibabaCredentials | undefined> {
  if ((request.env[ENV_CLI_DISABLED] ?? '').toLowerCase() === 'true') {
    looked.push(`${CLI_FILE} (skipped: ${ENV_CLI_DISABLED}=true)`);
    return undefined;
  }
  const text = await readOptional(join(request.homeDir, '.aliyun', 'config.json'));
  if (text === undefined) {
    looked.push(`${CLI_FILE} (not found)`);
    return undefined;
  }
  let parsed: { current?: unknown; profiles?: unknown };
  try {
    parsed = JSON.parse(text) as { current?: unknown; profiles?: unknown };
  } catch {
    throw unauthenticated(`${CLI_FILE} is not valid JSON.`, 'Fix the file with `aliyun configure`, or set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true to skip it.');
  }
  const current = typeof parsed.current === 'string' && parsed.current !== '' ? parsed.current : undefined;
  const name = request.profile ?? envProfile(request.env) ?? current ?? 'default';
  const profiles = Array.isArray(parsed.profiles) ? (parsed.profiles as CliProfile[]) : [];
  for (const p of profiles) if (typeof p === 'object' && p !== null && typeof p.name === 'string') known.add(p.name);
  const profile = profiles.find((p) => typeof p === 'object' && p !== null && p.name === name);
  const where = `${CLI_FILE} profile "${name}"`;
  if (!profile) {
    looked.push(`${where} (no such profile)`);
    return undefined;
  }
  const mode = typeof profile.mode === 'string' && profile.mode !== '' ? profile.mode : 'AK';
  if (mode !== 'AK' && mode !== 'StsToken') {
    throw unauthenticated(
      `${where} uses mode ${mode}, which cancelkit does not support (AK and StsToken are supported).`,
      'Use an AK or StsToken profile, pass credentials in the environment, or set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true to skip the CLI file.',
    );
  }
  const id = typeof profile.access_key_id === 'string' ? profile.access_key_id : '';
  const secret = typeof profile.access_key_secret === 'string' ? profile.access_key_secret : '';
  const token = typeof profile.sts_token === 'string' ? profile.sts_token : '';
  if (id.trim() === '' || secret.trim() === '' || (mode === 'StsToken' && token.trim() === '')) {
    const needed = mode === 'StsToken' ? 'access_key_id, access_key_secret and sts_token' : 'access_key_id and access_key_secret';
    throw unauthenticated(`${where} (mode ${mode}) lacks ${needed}.`);
  }
  return make(where, id, secret, mode === 'StsToken' ? token : undefined);
}

/** A minimal ini reader: `[section]`, `key = value`, `#`/`;` comments, optional quotes. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      const name = header[1] ?? '';
      section = sections.get(name) ?? new Map<string, string>();
      sections.set(name, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1 || !section) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    section.set(key, value);
  }
  return sections;
}

async function fromSharedFile(request: CredentialRequest, looked: string[], known: Set<string>): Promise<AlibabaCredentials | undefined> {
  const override = request.env[ENV_CREDENTIALS_FILE]?.trim();
  const path = override ? (isAbsolute(override) ? override : join(request.homeDir, override)) : join(request.homeDir, '.alibabacloud', 'credentials');
  const display = override ? `${override} (${ENV_CREDENTIALS_FILE})` : '~/.alibabacloud/credentials';
  const text = await readOptional(path);
  if (text === undefined) {
    looked.push(`${display} (not found)`);
    return undefined;
  }
  const name = request.profile ?? envProfile(request.env) ?? 'default';
  const sections = parseIni(text);
  for (const section of sections.keys()) known.add(section);
  const section = sections.get(name);
  const where = `${display} [${name}]`;
  if (!section) {
    looked.push(`${where} (no such section)`);
    return undefined;
  }
  const type = section.get('type') ?? 'access_key';
  if (type !== 'access_key' && type !== 'sts') {
    throw unauthenticated(`${where} has type ${type}, which cancelkit does not support (access_key and sts are supported).`);
  }
  const id = section.get('access_key_id') ?? '';
  const secret = section.get('access_key_secret') ?? '';
  const token = section.get('security_token');
  if (id === '' || secret === '' || (type === 'sts' && !token)) {
    throw unauthenticated(`${where} (type ${type}) lacks ${type === 'sts' ? 'access_key_id, access_key_secret and security_token' : 'access_key_id and access_key_secret'}.`);
  }
  return make(where, id, secret, type === 'sts' ? token : undefined);
}

async function resolveAlibabaCredentials(request: CredentialRequest): Promise<AlibabaCredentials> {
  const looked: string[] = [];
  const explicit = fromProviderConfig(request.providerConfig);
  if (explicit) return explicit;
  looked.push('config providers.alibaba.accessKeyId/accessKeySecret (not set)');
  // An explicitly named profile means "use that profile": the environment must not override it.
  if (request.profile === undefined) {
    const environment = fromEnvironment(request.env);
    if (environment) return environment;
    looked.push(`environment ${ENV_ID}/${ENV_SECRET} (not set)`);
  } else {
    looked.push(`environment ${ENV_ID}/${ENV_SECRET} (skipped: profile "${request.profile}" was named)`);
  }
  const known = new Set<string>();
  const cli = await fromCliProfile(request, looked, known);
  if (cli) return cli;
  const shared = await fromSharedFile(request, looked, known);
  if (shared) return shared;
  // A profile the user named (--profile, config "profile") that no file holds is a typo to fix, not a
  // missing login: say so as bad input, with the profiles that do exist.
  if (request.profile !== undefined && !known.has(request.profile)) {
    const names = [...known].sort();
    throw new InvalidInput(`profile: no Alibaba Cloud profile "${request.profile}" in ${CLI_FILE} or ~/.alibabacloud/credentials.`, {
      issues: [
        {
          field: 'profile',
          message: `no profile named "${request.profile}"`,
          hint: names.length > 0 ? `profiles found: ${names.join(', ')}` : 'no profiles are configured; run `aliyun configure --profile NAME`',
        },
      ],
    });
  }
  throw new CancelKitError('Unauthenticated', `No Alibaba Cloud credentials found. Looked in: ${looked.join('; ')}.`, {
    hint: `Set ${ENV_ID} and ${ENV_SECRET}, run \`aliyun configure\`, or pass providers.alibaba.accessKeyId/accessKeySecret.`,
  });
}

export const alibabaCredentialSource: CredentialSource<AlibabaCredentials> = Object.freeze({
  provider: 'alibaba',
  description: `config providers.alibaba, environment ${ENV_ID}/${ENV_SECRET}/${ENV_TOKEN}, ~/.aliyun/config.json (${ENV_PROFILE}), ~/.alibabacloud/credentials`,
  resolve: resolveAlibabaCredentials,
  secretsOf(credentials: AlibabaCredentials): string[] {
    return credentials.securityToken === undefined ? [credentials.accessKeySecret] : [credentials.accessKeySecret, credentials.securityToken];
  },
});
