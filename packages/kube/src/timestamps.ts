/**
 * The two timestamp formats of the Kubernetes API. Go parses them strictly:
 * a MicroTime with milliseconds only ("…05.123Z") is rejected, so never send
 * `Date.toJSON()` where a MicroTime is expected.
 */

/** metav1.Time: RFC 3339 in whole seconds, e.g. 2025-01-01T00:00:05Z. */
export function rfc3339(date: Date | number): string {
  return new Date(date).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits, e.g. 2025-01-01T00:00:05.123000Z. */
export function microTime(date: Date | number): string {
  return new Date(date).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
