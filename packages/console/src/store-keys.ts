/**
 * How many live keys each store backend holds, from the store's own
 * Prometheus endpoint (`cnpaas_store_keys{backend=…}`, what `cnpaas status`
 * prints): the data fabric's columns show it, so the store's side of the
 * picture is live too. Every key counts (Namespaces, RBAC, Leases…), not
 * only the webshop objects the console lists.
 */
import { ConsoleError } from './errors.js';

export type BackendKeys = Record<string, number>;

export function parseBackendKeys(text: string): BackendKeys {
  const out: BackendKeys = {};
  for (const m of text.matchAll(/^cnpaas_store_keys\{backend="([^"]+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** `undefined` when the store does not answer: the columns then show no count rather than a stale one. */
export async function fetchBackendKeys(url: string, timeoutMs = 2000): Promise<BackendKeys | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return parseBackendKeys(await res.text());
  } catch {
    return undefined;
  }
}

/** The flag's value: the store's plain-HTTP metrics listener, on loopback like every listener of the stack. */
export function checkStoreMetricsUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConsoleError('CNPAAS_CONSOLE_BAD_FLAG', `--store-metrics-url: "${text}" is not an http(s) URL`, {
      hint: 'e.g. --store-metrics-url http://127.0.0.1:2381/metrics (the store’s --listen-metrics-urls)',
    });
  }
  return url.href;
}
