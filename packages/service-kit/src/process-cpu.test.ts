import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processStartTicks, statCpuSeconds, statStartTicks, TICKS_PER_SECOND } from './process-cpu.js';

// Field 2 (comm) may hold spaces and parentheses; fields are counted after its last ')'.
const STAT = '1234 (my) odd proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 7 0 0 20 0 1 0 98765 1000 50';

describe('/proc/<pid>/stat', () => {
  it('reads utime+stime and starttime past a command name with spaces and parentheses', () => {
    expect(statCpuSeconds(STAT)).toBe(12 / TICKS_PER_SECOND);
    expect(statStartTicks(STAT)).toBe(98765);
  });

  it.runIf(process.platform === 'linux')('gives this process the start time its uptime implies', () => {
    const ticks = processStartTicks(process.pid)!;
    const bootUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    // Now since boot, minus when we started since boot, is how long we have run.
    expect(bootUptime - ticks / TICKS_PER_SECOND).toBeCloseTo(process.uptime(), 0);
  });

  it('has no start time for a pid that is not a process', () => {
    expect(processStartTicks(null)).toBeUndefined();
    expect(processStartTicks(0)).toBeUndefined();
    expect(processStartTicks(-1)).toBeUndefined();
    expect(processStartTicks(2 ** 31 - 1)).toBeUndefined();
  });
});
