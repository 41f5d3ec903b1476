export { type ApigCall, type ApigMethod, type ApigResponse, callApig } from './client.js';
export { type HuaweiCredentials, huaweiCredentialSource, parseIni, resolveProjectId } from './credentials.js';
export { parseRawQuery, percentDecode, rfc3986Encode } from './encoding.js';
export { DDS_REGIONS, type HuaweiService, huaweiEndpoint } from './endpoints.js';
export { type HuaweiErrorBody, type MapErrorOptions, mapHuaweiError, parseRetryAfter, readHuaweiErrorBody } from './errors.js';
export {
  buildCanonicalRequest,
  type CanonicalParts,
  canonicalQuery,
  canonicalQueryFromPairs,
  canonicalRequestOf,
  canonicalUri,
  type DerivedSignOptions,
  deriveV11Key,
  EMPTY_BODY_SHA256,
  formatSdkDate,
  parseSdkDate,
  SDK_HMAC_SHA256,
  type SignableRequest,
  type SigningKey,
  type SignOptions,
  signDerivedHmacSha256,
  signSdkHmacSha256,
  V11_HMAC_SHA256,
} from './signer.js';
export {
  DEFAULT_MAX_SKEW_MS,
  parseAuthorization,
  type ReceivedRequest,
  type SdkHmacVerdict,
  type VerifierKey,
  type VerifyFailure,
  type VerifyOptions,
  verifySdkHmacSha256,
} from './verifier.js';
