import { describe, expect, it } from 'vitest';
import { admissionRequest, capturingLogger, registrationObject, validRegistrationSpec } from './test-support.js';

describe('logger redaction', () => {
  it('redacts a password wherever our objects carry one, should anyone log them', () => {
    const { log, lines } = capturingLogger();
    const secret = 'Never-In-Logs-42!';
    const spec = { ...validRegistrationSpec(), password: secret };
    const request = admissionRequest(registrationObject(spec), {
      operation: 'UPDATE',
      oldObject: registrationObject(spec),
    });
    log.info({ request }, 'a review');
    log.info({ body: { request } }, 'a body');
    log.info({ spec }, 'a spec');
    log.info({ object: registrationObject(spec) }, 'an object');
    log.info({ password: secret, user: { password: secret } }, 'flat');
    log.info({ patch: Buffer.from(secret).toString('base64') }, 'a patch');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(Buffer.from(secret).toString('base64'));
    expect(lines[0]).toContain('"password":"[redacted]"');
    // Other fields stay readable.
    expect(lines[2]).toContain('ada@example.com');
  });
});
