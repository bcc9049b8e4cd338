/** One readiness probe: GET a URL, verifying https against the component's CA. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface ProbeResult {
  ok: boolean;
  /** HTTP status, or the network error. */
  detail: string;
}

export function probe(url: string, caFile?: string, timeoutMs = 2_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const options = url.startsWith('https:') && caFile ? { ca: readFileSync(caFile) } : {};
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { ...options, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve({ ok: res.statusCode === 200, detail: `HTTP ${res.statusCode}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, detail: err.message }));
  });
}
