// Phase timings for profiling: with TSRUN_TIMING=1 in the environment, tsrun prints to
// stderr, at exit, the milliseconds since the process started (process.uptime()) at which
// each marked phase ended (plus Node's bootstrap milestones on Node; Bun has none to
// report), with the resident set size at each mark. Off by default: one env lookup per
// process.
import * as fs from 'node:fs';

const enabled = process.env.TSRUN_TIMING === '1';
const marks: Array<[string, number]> = [];

/** Resident set size now, MiB (from /proc/self/statm, 4 KiB pages). */
function rssMiB(): string {
  try {
    return (Number(fs.readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) / 256).toFixed(1);
  } catch {
    return '?';
  }
}

/** Note that the phase `what` has just ended (or ended at `at`, in process.uptime() ms). */
export function mark(what: string, at?: number): void {
  if (enabled) marks.push([`${what} [rss ${rssMiB()} MiB]`, at ?? process.uptime() * 1000]);
}

/** Print the marks (no-op unless enabled). */
export function flushTimings(): void {
  if (!enabled) return;
  const rows: Array<[string, number]> = [];
  if (!process.versions.bun) {
    // Required here, not at the top: perf_hooks would cost every command a module load.
    const t = (require('node:perf_hooks') as typeof import('node:perf_hooks')).performance.nodeTiming;
    rows.push(['node: v8 started', t.v8Start], ['node: environment ready', t.environment], ['node: bootstrap complete', t.bootstrapComplete]);
  }
  rows.push(...marks);
  let prev = 0;
  const text = rows
    .map(([what, at]) => {
      const line = `tsrun timing: ${at.toFixed(1).padStart(7)} ms  (+${(at - prev).toFixed(1).padStart(5)})  ${what}`;
      prev = at;
      return line;
    })
    .join('\n');
  fs.writeSync(2, `${text}\n`);
}
