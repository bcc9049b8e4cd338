import { describe, expect, it } from 'vitest';
import { BASE_REDACT_PATHS, createServiceLogger, loggerFactory, redactAtDepths } from './logger.js';
import { collectLines } from './testing.js';

describe('createServiceLogger', () => {
  it("writes JSON lines with the component, and redacts passwords, Authorization and the package's own paths", () => {
    const { destination, lines } = collectLines();
    const log = createServiceLogger({ component: 'cnpaas-test', level: 'info', redact: ['*.token'], destination });
    const secret = 'Never-In-Logs-42!';
    log.info({ password: secret, user: { password: secret, email: 'ada@example.com' } }, 'flat and nested');
    log.info({ req: { headers: { authorization: `Bearer ${secret}` } } }, 'a request');
    log.info({ a: { b: { c: { password: secret } } } }, 'deep');
    log.info({ session: { token: secret } }, 'extra path');
    log.info({ body: secret, res: { body: secret } }, 'bodies');
    log.debug({ password: secret }, 'below the level');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).not.toContain(secret);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      component: 'cnpaas-test',
      msg: 'flat and nested',
      password: '[redacted]',
      user: { email: 'ada@example.com' },
    });
  });

  it("makes a package's createLogger, whose component can still be overridden", () => {
    const { destination, lines } = collectLines();
    const createLogger = loggerFactory({ component: 'cnpaas-test', redact: ['*.token'] });
    createLogger({ destination }).info({ session: { token: 'secret' } }, 'default component');
    createLogger({ destination, component: 'cnpaas-test-worker' }).info('own component');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { component: 'cnpaas-test', session: { token: '[redacted]' } },
      { component: 'cnpaas-test-worker' },
    ]);
  });

  it('takes the level from LOG_LEVEL unless given', () => {
    const saved = process.env['LOG_LEVEL'];
    process.env['LOG_LEVEL'] = 'warn';
    try {
      expect(createServiceLogger({ component: 'cnpaas-test' }).level).toBe('warn');
      expect(createServiceLogger({ component: 'cnpaas-test', level: 'debug' }).level).toBe('debug');
    } finally {
      if (saved === undefined) delete process.env['LOG_LEVEL'];
      else process.env['LOG_LEVEL'] = saved;
    }
  });
});

describe('redactAtDepths', () => {
  it('names the path itself and under each level of objects above it, as pino reads them', () => {
    expect(redactAtDepths('pass', 3)).toEqual(['pass', '*.pass', '*.*.pass']);
    expect(redactAtDepths('spec.body', 1)).toEqual(['spec.body']);
    expect(BASE_REDACT_PATHS.slice(0, 6)).toEqual([
      'password',
      '*.password',
      '*.*.password',
      '*.*.*.password',
      '*.*.*.*.password',
      '*.*.*.*.*.password',
    ]);
  });
});
