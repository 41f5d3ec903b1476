/**
 * Endpoint resolution. Provider packages keep their own per-region tables; apps that embed core may bind
 * an `EndpointSource` for a provider (VPC endpoints, a regional proxy, a test cloud), which is asked
 * before those tables. A config or `--endpoint` override still wins over both (see `CallContext.endpointFor`).
 */

export interface EndpointRequest {
  /** Provider of the calling plugin, e.g. `alibaba` or `huaweicloud`. */
  readonly provider: string;
  /** The plugin manifest's service key, e.g. `alibaba.ecs` or `huaweicloud.dds`. */
  readonly service: string;
  /** Provider-specific product code the client is about to call (`ecs`, `r-kvstore`, `dds`, …), if it has one. */
  readonly product?: string;
  /**
   * Region the call targets, as the caller gave it (not yet checked against the provider's table): a source
   * that builds a host name from it should validate it first.
   */
  readonly region?: string;
}

/** What a provider client knows about one request when it asks `CallContext.endpointFor`; core adds the rest. */
export type EndpointForRequest = Pick<EndpointRequest, 'product' | 'region'>;

export interface EndpointSource {
  /** Provider this source serves, e.g. `alibaba` or `huaweicloud`. */
  readonly provider: string;
  /** Human description for error messages ("vault endpoint map", …); named when the source returns a bad URL. */
  readonly description?: string;
  /**
   * The base URL (`scheme://host[:port]`) to send this request to, or `undefined` to fall back to the
   * provider's default. Called once per request and synchronously: keep it cheap (cache inside if needed).
   */
  resolve(request: EndpointRequest): string | undefined;
}
