// Data from a kernel, a server or a notebook's metadata is `unknown` until checked: the one check every
// guard in this extension starts from.

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
