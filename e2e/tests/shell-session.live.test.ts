/** The workshop runner's bash session (e2e/support/shell-session.ts), with real bash and no stack. */
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShellSession } from '../support/shell-session.js';

describe('a shell session for docs/workshop.md', () => {
  let shell: ShellSession;
  beforeEach(() => {
    shell = new ShellSession({ cwd: tmpdir(), env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  });
  afterEach(() => shell.close());

  it('keeps variables, exports and the directory from one block to the next, as one terminal does', async () => {
    expect(await shell.run('X=1\nexport Y=2\ncd /', 5_000)).toBe('');
    expect(await shell.run('echo "$X $Y $(pwd)"\nbash -c \'echo "$Y"\'', 5_000)).toBe('1 2 /\n2\n');
  });

  it('gives stdout and stderr together, in order, and stdin only from a here-document', async () => {
    expect(await shell.run('echo one\necho two >&2\necho three', 5_000)).toBe('one\ntwo\nthree\n');
    expect(await shell.run('cat', 5_000)).toBe('');
    expect(await shell.run("cat <<'EOF'\nfrom the doc\nEOF", 5_000)).toBe('from the doc\n');
  });

  it('carries on after a failing command, and after a block bash cannot parse, whose complaint is its output', async () => {
    expect(await shell.run('false\necho after', 5_000)).toBe('after\n');
    expect(await shell.run('if then', 5_000)).toMatch(/syntax error/);
    expect(await shell.run('echo still here', 5_000)).toBe('still here\n');
  });

  it('ends a block that hangs, with what it printed so far', async () => {
    await expect(shell.run('echo started\nsleep 30', 500)).rejects.toThrow(
      /still running after 0.5 s; what it printed so far:\nstarted/,
    );
  });
});
