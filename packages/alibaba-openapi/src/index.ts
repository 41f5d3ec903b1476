/**
 * `@cancelkit/alibaba-openapi`: what every Alibaba Cloud plugin shares — ACS3 and legacy V1 signing and
 * verifying, RPC/ROA calls through the host's transport, error mapping, endpoints and credentials.
 * The emulator protocols live in the `./emulation` subpath.
 */
export {
  ACS3_ALGORITHM,
  type Acs3Request,
  type Acs3SignOptions,
  acs3CanonicalRequest,
  acs3Signature,
  acs3StringToSign,
  acs3UriCandidates,
  isAcs3SignedHeader,
  isoSeconds,
  sha256Hex,
  signAcs3,
  verifyAcs3,
} from './acs3.js';
export {
  md5Base64,
  type RoaV1SignInput,
  roaV1StringToSign,
  rpcParams,
  rpcV1StringToSign,
  signRoaV1,
  signRoaV1Request,
  signRpcV1,
  signRpcV1Params,
  verifyRoaV1,
  verifyRpcV1,
} from './v1.js';
export {
  type AlibabaAuthScheme,
  type AlibabaVerdict,
  AUTH_ERRORS,
  DEFAULT_MAX_SKEW_MS,
  type ReceivedRequest,
  type SigningCredentials,
  type VerifierKey,
  type VerifyContext,
} from './verdict.js';
export { buildPath, canonicalQuery, canonicalUri, encodePathSegment, parseQueryPairs, percentEncode } from './encoding.js';
export { type AlibabaCredentials, alibabaCredentialSource, parseIni } from './credentials.js';
export { ALIBABA_PRODUCTS, type AlibabaProduct, alibabaEndpoint, checkRegionId, REGION_PATTERN } from './endpoints.js';
export {
  type AlibabaErrorFields,
  classifyAlibabaError,
  errorCodeInSuccessBody,
  type MapErrorExtras,
  mapAlibabaError,
  readAlibabaError,
  retryAfterMs,
} from './errors.js';
export { type AlibabaResponse, callRoa, callRpc, type RoaCall, type RpcCall } from './client.js';
