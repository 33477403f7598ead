// The CLI is the one caller that hands its own stdio and signals to a foreground process
// (`run`, `exec`); library callers choose for themselves (ProcessIo).
import type { ProcessIo } from '../runtime/options';

export async function callerIo(): Promise<ProcessIo> {
  const { forwardSignals } = await import('../runtime/process-io');
  return { forwardSignals, terminal: () => ({ input: process.stdin, output: process.stdout }) };
}
