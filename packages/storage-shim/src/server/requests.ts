/**
 * The request messages the Lease, Maintenance and Watch services read, as
 * proto-loader decodes them with LOADER_OPTIONS (proto.ts): field names as in
 * the .proto, int64 as decimal strings, bytes as Buffers, defaults filled in,
 * the oneof's name in its own field. KV's hot messages have their own codecs
 * (wire/etcd-messages.ts) and their own types.
 *
 * Fields are optional because a client may be older or newer than our .proto,
 * and because the hand-written codecs do not fill defaults.
 */

/** int64 as proto-loader hands it over (`longs: String`), or a number from our own codecs. */
export type WireInt64 = string | number;

export interface LeaseIdRequest {
  ID?: WireInt64;
}

export interface LeaseGrantRequest extends LeaseIdRequest {
  TTL?: WireInt64;
}

export interface LeaseTimeToLiveRequest extends LeaseIdRequest {
  keys?: boolean;
}

export interface HashKvRequest {
  revision?: WireInt64;
}

export interface WatchCreateRequest {
  key?: Buffer;
  range_end?: Buffer;
  start_revision?: WireInt64;
  progress_notify?: boolean;
  filters?: string[];
  prev_kv?: boolean;
  watch_id?: WireInt64;
  fragment?: boolean;
  /** Selector push-down (fields 9 and 10): see src/selectors/. */
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchRequest =
  | { request_union: 'create_request'; create_request: WatchCreateRequest }
  | { request_union: 'cancel_request'; cancel_request: { watch_id?: WireInt64 } }
  | { request_union: 'progress_request'; progress_request: Record<string, never> }
  | { request_union?: undefined };
