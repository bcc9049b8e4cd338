import { describe, expect, it } from 'vitest';
import { capturingLogger } from './test-support/capture-logs.js';

describe('logger redaction', () => {
  it('redacts a password wherever a registration carries one, and whole bodies', () => {
    const { log, lines } = capturingLogger();
    const secret = 'Never-In-Logs-42!';
    const spec = { user: { email: 'ada@example.com' }, password: secret, tenant: {} };
    log.info({ spec }, 'a spec');
    log.info({ object: { spec } }, 'an object');
    log.info({ registration: { spec } }, 'a registration');
    log.info({ password: secret }, 'flat');
    log.info({ body: JSON.stringify({ spec }) }, 'a body');
    log.info({ req: { body: { spec } } }, 'a request');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).not.toContain(secret);
    expect(lines[0]).toContain('"password":"[redacted]"');
    expect(lines[4]).toContain('"body":"[redacted]"');
    // Other fields stay readable.
    expect(lines[0]).toContain('ada@example.com');
  });
});
