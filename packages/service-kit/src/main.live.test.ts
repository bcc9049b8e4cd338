/** runMain decides the exit code of a real process: each test runs a small program on the built kit. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const KIT = new URL('../dist/index.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'cnpaas-service-kit-main-'));
writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '1.2.3' }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A program whose parse() accepts only --ok, and whose run() does `run`. */
function main(
  args: string[],
  run = 'process.stdout.write(`ran ${config} ${version}`)',
): { status: number | null; stdout: string; stderr: string } {
  const source = `
    import { ServiceError, runMain } from '${KIT}';
    class ToolError extends ServiceError { static brand = Symbol.for('test.ToolError'); }
    runMain({
      bin: 'cnpaas-tool',
      packageJson: new URL('${pathToFileURL(join(dir, 'package.json')).href}'),
      usage: 'Usage: cnpaas-tool [--ok]\\n',
      parse: (argv) => {
        if (argv.includes('--help')) return 'help';
        if (argv.includes('--version')) return 'version';
        if (!argv.includes('--ok')) throw new ToolError('TOOL_BAD_FLAG', '--ok: is required', { hint: 'pass --ok' });
        return 'config';
      },
      run: async (config, version) => { ${run} },
    });
  `;
  // With -e, argv[1] is the first argument after --: a stand-in for the script path runMain skips.
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', source, '--', 'cnpaas-tool', ...args], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('runMain', () => {
  it('prints usage and version', () => {
    expect(main(['--help'])).toEqual({ status: 0, stdout: 'Usage: cnpaas-tool [--ok]\n', stderr: '' });
    expect(main(['--version'])).toEqual({ status: 0, stdout: 'cnpaas-tool 1.2.3\n', stderr: '' });
  });

  it('runs with the parsed config and the package version', () => {
    expect(main(['--ok'])).toMatchObject({ status: 0, stdout: 'ran config 1.2.3' });
  });

  it('exits 2 for a configuration error, with what went wrong and the fix', () => {
    expect(main([])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'cnpaas-tool: TOOL_BAD_FLAG: --ok: is required\n  fix: pass --ok\n',
    });
  });

  it('exits 1 with the stack for anything unexpected', () => {
    const crashed = main(['--ok'], "throw new TypeError('x is undefined');");
    expect(crashed.status).toBe(1);
    expect(crashed.stderr).toMatch(/^cnpaas-tool: TypeError: x is undefined\n\s+at /);
  });
});
