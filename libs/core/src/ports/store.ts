/** A JSON value, as stored records are. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Durable storage of records by namespace and key (runs, checkpoints, registry entries). */
export interface Store {
  put(namespace: string, key: string, value: JsonValue): Promise<void>;
  get(namespace: string, key: string): Promise<JsonValue | undefined>;
}
