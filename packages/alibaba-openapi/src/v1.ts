/**
 * The legacy HMAC-SHA1 signatures that older SDKs (pop-core, openapi-core with `signatureAlgorithm: 'v2'`,
 * early product SDKs) still send. cancelkit's own client signs with ACS3; these exist so the emulator
 * accepts every official SDK and so parity with openapi-util can be shown.
 */
import { createHash, createHmac } from 'node:crypto';
import type { InputIssue } from '@cancelkit/core/plugin';
import { constantTimeEqual, isoSeconds, newNonce } from './acs3.js';
import { canonicalQuery, compareCodeUnits, parseQueryPairs, percentEncode } from './encoding.js';
import {
  PROBLEMS,
  bodyProblem,
  check,
  checkCredentials,
  checkQueryRecord,
  headerNameProblem,
  headerValueProblem,
  hostProblem,
  isRecord,
  isWellFormed,
  methodProblem,
  nonceProblem,
  pathProblem,
  queryNameProblem,
  queryValueProblem,
  refuse,
  requiredHeaderValueProblem,
  secretProblem,
} from './signing-input.js';
import {
  AUTH_ERRORS,
  type AlibabaVerdict,
  type ReceivedRequest,
  type SigningCredentials,
  type VerifyContext,
  checkTime,
  checkToken,
  missing,
  parseHttpDate,
  parseIsoSeconds,
  reject,
} from './verdict.js';

function hmacSha1Base64(key: string, data: string): string {
  return createHmac('sha1', key).update(data, 'utf8').digest('base64');
}

function entriesOf(params: Readonly<Record<string, string>> | Iterable<readonly [string, string]>): [string, string][] {
  return Symbol.iterator in params
    ? [...(params as Iterable<readonly [string, string]>)].map(([k, v]) => [k, v])
    : Object.entries(params as Record<string, string>);
}

// ---------------------------------------------------------------------------------------------- RPC V1

/** `METHOD&%2F&encode(canonicalised params)`; `Signature` itself must not be among the params. */
export function rpcV1StringToSign(method: string, params: Readonly<Record<string, string>> | Iterable<readonly [string, string]>): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(entriesOf(params)))}`;
}

/**
 * base64(HMAC-SHA1(secret + "&", stringToSign)), openapi-util `getRPCSignature`. The method is used as
 * given. A method that is not letters, a name or value that is not a well-formed string, or a bad secret
 * throws InvalidInput naming the field.
 */
export function signRpcV1(method: string, params: Readonly<Record<string, string>> | Iterable<readonly [string, string]>, secret: string): string {
  const issues: InputIssue[] = [];
  check(issues, 'method', methodProblem(method));
  check(issues, 'secret', secretProblem(secret));
  // A record is checked in place; pairs (a Map, an array, a generator) are read once, then checked.
  let signed: Readonly<Record<string, string>> | readonly (readonly [string, string])[] = [];
  if (isRecord(params) && !(Symbol.iterator in params)) {
    checkQueryRecord(issues, 'params', params);
    signed = params;
  } else {
    let entries: unknown[] = [];
    try {
      entries = [...(params as Iterable<unknown>)];
    } catch {
      check(issues, 'params', PROBLEMS.notRecord);
    }
    for (const entry of entries) {
      const [name, value] = Array.isArray(entry) ? (entry as unknown[]) : [];
      check(issues, `params.${String(name)}`, typeof name === 'string' ? (queryNameProblem(name) ?? queryValueProblem(value)) : PROBLEMS.notString);
    }
    signed = entries as [string, string][];
  }
  if (issues.length > 0) throw refuse(issues, 'RPC V1 signature');
  return hmacSha1Base64(`${secret}&`, rpcV1StringToSign(method, signed));
}

/**
 * The complete RPC V1 parameter set for a call (what openapi-core `doRPCRequest` sends): the caller's
 * params plus AccessKeyId, SignatureMethod/Version, Timestamp, SignatureNonce, SecurityToken and Signature.
 * The method is signed in upper case, as the server reads it. Every field is checked first: a bad one
 * throws InvalidInput naming it (`method`, `params.<name>`, `accessKeyId`, `accessKeySecret`,
 * `securityToken`, `timestamp`, `nonce`), and nothing is signed.
 */
export function signRpcV1Params(
  method: string,
  params: Readonly<Record<string, string>>,
  credentials: SigningCredentials,
  options: { readonly timestamp?: string; readonly nonce?: string } = {},
): Record<string, string> {
  const issues: InputIssue[] = [];
  check(issues, 'method', methodProblem(method));
  if (params === undefined || params === null) check(issues, 'params', PROBLEMS.notRecord);
  else checkQueryRecord(issues, 'params', params);
  checkCredentials(issues, credentials);
  if (!isRecord(options)) check(issues, 'options', PROBLEMS.notObject);
  else {
    const { timestamp, nonce } = options;
    if (timestamp !== undefined) check(issues, 'timestamp', typeof timestamp === 'string' && parseIsoSeconds(timestamp) !== undefined ? undefined : PROBLEMS.isoDate);
    if (nonce !== undefined) check(issues, 'nonce', nonceProblem(nonce));
  }
  if (issues.length > 0) throw refuse(issues, 'RPC V1 request');
  const all: Record<string, string> = {
    Format: 'json',
    ...params,
    Timestamp: options.timestamp ?? isoSeconds(Date.now()),
    SignatureNonce: options.nonce ?? newNonce(),
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    AccessKeyId: credentials.accessKeyId,
  };
  if (credentials.securityToken) all.SecurityToken = credentials.securityToken;
  delete all.Signature;
  all.Signature = hmacSha1Base64(`${credentials.accessKeySecret}&`, rpcV1StringToSign(method.toUpperCase(), all));
  return all;
}

function isForm(headers: Readonly<Record<string, string>>): boolean {
  return (headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** Query parameters plus form-body parameters, decoded; a later duplicate wins, as in a JS object. */
export function rpcParams(request: ReceivedRequest): Map<string, string> {
  const params = new Map<string, string>(parseQueryPairs(request.rawQuery));
  if (request.body.length > 0 && isForm(request.headers)) {
    for (const [k, v] of parseQueryPairs(Buffer.from(request.body).toString('utf8'))) params.set(k, v);
  }
  return params;
}

function verifyRpcV1Unsafe(request: ReceivedRequest, context: VerifyContext): AlibabaVerdict {
  const scheme = 'RPC-V1-HMAC-SHA1' as const;
  const params = rpcParams(request);
  const signature = params.get('Signature');
  if (!signature) return missing(scheme, 'Signature');
  const accessKeyId = params.get('AccessKeyId');
  if (!accessKeyId) return missing(scheme, 'AccessKeyId');
  const key = context.lookupKey(accessKeyId);
  if (!key) return reject(scheme, AUTH_ERRORS.keyNotFound);
  const method = params.get('SignatureMethod');
  if (!method) return missing(scheme, 'SignatureMethod');
  if (method !== 'HMAC-SHA1') return reject(scheme, AUTH_ERRORS.signatureMethod);
  const timestamp = params.get('Timestamp');
  if (!timestamp) return missing(scheme, 'Timestamp');
  const timeProblem = checkTime(scheme, parseIsoSeconds(timestamp), context);
  if (timeProblem) return timeProblem;
  const nonce = params.get('SignatureNonce');
  if (!nonce) return missing(scheme, 'SignatureNonce');
  const tokenProblem = checkToken(scheme, key, params.get('SecurityToken') ?? request.headers['x-acs-security-token']);
  if (tokenProblem) return tokenProblem;

  params.delete('Signature');
  const stringToSign = rpcV1StringToSign(request.method.toUpperCase(), params);
  if (!constantTimeEqual(hmacSha1Base64(`${key.secret}&`, stringToSign), signature)) {
    // The cloud echoes its string to sign; a token inside it is a secret, so it is masked.
    const token = params.get('SecurityToken');
    const shown = token ? stringToSign.split(percentEncode(percentEncode(token))).join('***') : stringToSign;
    return reject(scheme, AUTH_ERRORS.signatureMismatch, `server string to sign is:${shown}`);
  }
  if (!context.useNonce(nonce)) return reject(scheme, AUTH_ERRORS.nonceUsed);
  return { ok: true, scheme, accessKeyId };
}

/**
 * Verifies an RPC V1 request (`Signature` parameter in the query or form body) with the method as
 * received. Never throws.
 */
export function verifyRpcV1(request: ReceivedRequest, context: VerifyContext): AlibabaVerdict {
  try {
    return verifyRpcV1Unsafe(request, context);
  } catch {
    return reject('RPC-V1-HMAC-SHA1', AUTH_ERRORS.incomplete);
  }
}

// ---------------------------------------------------------------------------------------------- ROA V1

export interface RoaV1SignInput {
  readonly method: string;
  /** The path as sent (already encoded). */
  readonly pathname: string;
  /** Raw (decoded) query values. */
  readonly query?: Readonly<Record<string, string>>;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * openapi-util `getStringToSign`: method, accept, content-md5, content-type, date, the sorted `x-acs-*`
 * headers, then the resource with raw (not encoded) query values.
 */
export function roaV1StringToSign(input: RoaV1SignInput): string {
  const h = input.headers;
  const head = `${input.method}\n${h.accept ?? ''}\n${h['content-md5'] ?? ''}\n${h['content-type'] ?? ''}\n${h.date ?? ''}\n`;
  const acsHeaders = Object.keys(h)
    .filter((name) => name.startsWith('x-acs-'))
    .sort(compareCodeUnits)
    .map((name) => `${name}:${(h[name] ?? '').replace(/[\t\n\r\f]/g, ' ').trim()}\n`)
    .join('');
  const keys = Object.keys(input.query ?? {}).sort(compareCodeUnits);
  const resource = keys.length === 0 ? input.pathname : `${input.pathname}?${keys.map((k) => `${k}=${input.query?.[k] ?? ''}`).join('&')}`;
  return `${head}${acsHeaders}${resource}`;
}

/**
 * base64(HMAC-SHA1(secret, stringToSign)): no `&` appended, unlike RPC V1. A string to sign that is not
 * well-formed text, or a bad secret, throws InvalidInput.
 */
export function signRoaV1(stringToSign: string, secret: string): string {
  const issues: InputIssue[] = [];
  check(issues, 'stringToSign', typeof stringToSign !== 'string' ? PROBLEMS.notString : isWellFormed(stringToSign) ? undefined : PROBLEMS.illFormed);
  check(issues, 'secret', secretProblem(secret));
  if (issues.length > 0) throw refuse(issues, 'ROA V1 signature');
  return hmacSha1Base64(secret, stringToSign);
}

export function md5Base64(body: string | Uint8Array): string {
  return createHash('md5').update(body).digest('base64');
}

/** Headers signRoaV1Request sets itself: a caller's own value for them is replaced (or, for content-md5, dropped). */
const ROA_V1_OWN_HEADERS = ['host', 'date', 'content-md5', 'authorization'];
const ROA_V1_SUBJECT = 'ROA V1 request';

/**
 * Signs a ROA request the way openapi-core `doROARequest` does (plus pop-core's `content-md5`). Returns
 * every header to send, including `authorization: acs <AK>:<signature>`. The method is signed in upper
 * case, as the server reads it. Every field is checked first, as for `signAcs3`: a bad one throws
 * InvalidInput naming it, and nothing is signed.
 */
export function signRoaV1Request(
  input: {
    readonly method: string;
    readonly host: string;
    readonly pathname: string;
    readonly query?: Readonly<Record<string, string>>;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string | Uint8Array;
    readonly action?: string;
    readonly version: string;
  },
  credentials: SigningCredentials,
  options: { readonly date?: string; readonly nonce?: string } = {},
): Record<string, string> {
  if (!isRecord(input)) throw refuse([{ field: 'request', ...PROBLEMS.notObject }], ROA_V1_SUBJECT);
  const issues: InputIssue[] = [];
  const headers: Record<string, string> = { accept: 'application/json' };
  const given = input.headers as unknown;
  if (given !== undefined) {
    if (!isRecord(given)) check(issues, 'headers', PROBLEMS.notRecord);
    else {
      const seen = new Set<string>();
      for (const name of Object.keys(given)) {
        const lower = name.toLowerCase();
        const value = given[name];
        const found = headerNameProblem(lower) ?? headerValueProblem(value) ?? (seen.has(lower) ? PROBLEMS.duplicateHeader : undefined);
        seen.add(lower);
        if (found === undefined) headers[lower] = value as string;
        else check(issues, `headers.${name}`, found);
      }
    }
  }
  check(issues, 'method', methodProblem(input.method));
  check(issues, 'host', hostProblem(input.host));
  check(issues, 'pathname', pathProblem(input.pathname));
  checkQueryRecord(issues, 'query', input.query);
  check(issues, 'body', bodyProblem(input.body));
  if (input.action !== undefined && input.action !== '') check(issues, 'action', requiredHeaderValueProblem(input.action));
  check(issues, 'version', requiredHeaderValueProblem(input.version));
  checkCredentials(issues, credentials);
  if (!isRecord(options)) check(issues, 'options', PROBLEMS.notObject);
  else {
    const { date, nonce } = options;
    if (date !== undefined) check(issues, 'date', headerValueProblem(date) === undefined && parseHttpDate(date as string) !== undefined ? undefined : PROBLEMS.httpDate);
    if (nonce !== undefined) check(issues, 'nonce', nonceProblem(nonce));
  }
  if (issues.length > 0) throw refuse(issues, ROA_V1_SUBJECT);

  for (const name of ROA_V1_OWN_HEADERS) delete headers[name];
  headers.host = input.host;
  headers.date = options.date ?? new Date().toUTCString();
  headers['x-acs-signature-nonce'] = options.nonce ?? newNonce();
  headers['x-acs-signature-method'] = 'HMAC-SHA1';
  headers['x-acs-signature-version'] = '1.0';
  headers['x-acs-version'] = input.version;
  if (input.action) headers['x-acs-action'] = input.action;
  if (input.body !== undefined && input.body.length > 0) headers['content-md5'] = md5Base64(input.body);
  if (credentials.securityToken) {
    headers['x-acs-accesskey-id'] = credentials.accessKeyId;
    headers['x-acs-security-token'] = credentials.securityToken;
  }
  const stringToSign = roaV1StringToSign({ method: input.method.toUpperCase(), pathname: input.pathname, query: input.query ?? {}, headers });
  headers.authorization = `acs ${credentials.accessKeyId}:${hmacSha1Base64(credentials.accessKeySecret, stringToSign)}`;
  return headers;
}

function verifyRoaV1Unsafe(request: ReceivedRequest, context: VerifyContext): AlibabaVerdict {
  const scheme = 'ROA-V1-HMAC-SHA1' as const;
  const match = /^acs ([^:\s]+):(\S+)$/.exec(request.headers.authorization ?? '');
  if (!match) return reject(scheme, AUTH_ERRORS.incomplete, 'Authorization must be "acs <AccessKeyId>:<Signature>".');
  const accessKeyId = match[1] ?? '';
  const signature = match[2] ?? '';
  const key = context.lookupKey(accessKeyId);
  if (!key) return reject(scheme, AUTH_ERRORS.keyNotFound);
  const method = request.headers['x-acs-signature-method'];
  if (method !== undefined && method !== 'HMAC-SHA1') return reject(scheme, AUTH_ERRORS.signatureMethod);
  const date = request.headers.date;
  if (!date) return missing(scheme, 'Date');
  const timeProblem = checkTime(scheme, parseHttpDate(date), context);
  if (timeProblem) return timeProblem;
  const tokenProblem = checkToken(scheme, key, request.headers['x-acs-security-token']);
  if (tokenProblem) return tokenProblem;
  const contentMd5 = request.headers['content-md5'];
  if (contentMd5 !== undefined && !constantTimeEqual(contentMd5, md5Base64(request.body))) {
    return reject(scheme, AUTH_ERRORS.signatureMismatch, 'Content-MD5 does not match the request body.');
  }
  const query = Object.fromEntries(parseQueryPairs(request.rawQuery));
  const rawPath = request.rawPath === '' ? '/' : request.rawPath;
  // Node sends a literal `'` as `%27` after the SDK signed `'` (wire doc §4.5): accept both spellings.
  const candidates = [...new Set([rawPath, rawPath.replace(/%27/g, "'")])];
  let first: string | undefined;
  for (const pathname of candidates) {
    const stringToSign = roaV1StringToSign({ method: request.method.toUpperCase(), pathname, query, headers: request.headers });
    first ??= stringToSign;
    if (constantTimeEqual(hmacSha1Base64(key.secret, stringToSign), signature)) {
      const nonce = request.headers['x-acs-signature-nonce'];
      if (nonce !== undefined && !context.useNonce(nonce)) return reject(scheme, AUTH_ERRORS.nonceUsed);
      return { ok: true, scheme, accessKeyId };
    }
  }
  const token = request.headers['x-acs-security-token'];
  const shown = token && first ? first.split(token).join('***') : (first ?? '');
  return reject(scheme, AUTH_ERRORS.signatureMismatch, `server string to sign is:${shown.replace(/\n/g, '#')}`);
}

/** Verifies a ROA V1 request (`Authorization: acs AK:signature`). Never throws. */
export function verifyRoaV1(request: ReceivedRequest, context: VerifyContext): AlibabaVerdict {
  try {
    return verifyRoaV1Unsafe(request, context);
  } catch {
    return reject('ROA-V1-HMAC-SHA1', AUTH_ERRORS.incomplete);
  }
}
