/**
 * The demo's narrative: numbered steps and what each one shows, written
 * straight to the terminal so it reads as a walkthrough between vitest's
 * test names.
 */
let stepNo = 0;

export function step(title: string): void {
  stepNo += 1;
  process.stdout.write(`\n\x1b[1m${stepNo}. ${title}\x1b[0m\n`);
}

export function say(line: string): void {
  process.stdout.write(`   ${line}\n`);
}

/** A block of output (a command's result), indented under the step. */
export function show(label: string, text: string): void {
  process.stdout.write(`   \x1b[2m${label}\x1b[0m\n`);
  for (const line of text.trimEnd().split('\n')) process.stdout.write(`     ${line}\n`);
}
