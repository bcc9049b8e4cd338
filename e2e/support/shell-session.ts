/**
 * One bash session that runs script after script, as a person types them
 * into one terminal: `export`, `cd` and shell variables carry over from one
 * block to the next. Each script's stdout and stderr go together to a file
 * (the order a terminal shows), its stdin is /dev/null (a block that reads
 * stdin uses a here-document), and a marker on the session's own stdout
 * says it is done. The script is read from a file and run with `eval`, so
 * a syntax error in one block is that block's output, not the end of the
 * session.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ShellSessionOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export class ShellSession {
  readonly #bash: ChildProcessWithoutNullStreams;
  readonly #outDir = mkdtempSync(path.join(tmpdir(), 'cnp-shell-'));
  #stdout = '';
  #stderr = '';
  #exited: string | null = null;
  #count = 0;
  #waiter: (() => void) | null = null;

  constructor(options: ShellSessionOptions) {
    // Its own process group, so a script that hangs can be ended with everything it started.
    this.#bash = spawn('bash', ['--noprofile', '--norc'], { ...options, detached: true, stdio: 'pipe' });
    this.#bash.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stdout += chunk;
      this.#waiter?.();
    });
    this.#bash.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    // A killed session's stdin breaks (EPIPE); its exit, below, is what reports it.
    this.#bash.stdin.on('error', () => {});
    this.#bash.on('exit', (code, signal) => {
      this.#exited = `the shell exited (${code ?? signal})`;
      this.#waiter?.();
    });
  }

  /** Runs `script` and resolves with what it printed; rejects after `timeoutMs` or if the shell itself dies. */
  async run(script: string, timeoutMs: number): Promise<string> {
    if (this.#exited) throw new Error(this.#exited);
    this.#count += 1;
    const done = `__cnpaas_workshop_done_${this.#count}__`;
    const file = path.join(this.#outDir, `${this.#count}.sh`);
    const out = path.join(this.#outDir, `${this.#count}.out`);
    writeFileSync(file, `${script}\n`);
    this.#stdout = '';
    this.#stderr = '';
    this.#bash.stdin.write(`{ eval "$(< '${file}')"; } </dev/null >'${out}' 2>&1\necho ${done}\n`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        this.#kill();
        reject(new Error(`still running after ${timeoutMs / 1000} s; what it printed so far:\n${this.#read(out)}`));
      }, timeoutMs);
      this.#waiter = () => {
        if (!this.#stdout.includes(done) && !this.#exited) return;
        clearTimeout(timer);
        this.#waiter = null;
        if (this.#exited) reject(new Error(`${this.#exited}: ${this.#stderr.trim()}`));
        else resolve();
      };
      this.#waiter();
    });
    // bash's own complaints (a syntax error in the block) land on the session's stderr.
    const printed = this.#read(out);
    return this.#stderr.trim() ? `${printed}${this.#stderr}` : printed;
  }

  #read(file: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }

  #kill(): void {
    try {
      process.kill(-this.#bash.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  async close(): Promise<void> {
    if (this.#bash.exitCode === null && this.#bash.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.#bash.once('exit', () => resolve()));
      this.#bash.stdin.end('exit\n');
      const timer = setTimeout(() => this.#kill(), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#outDir, { recursive: true, force: true });
  }
}
