// Signal names and numbers of Linux x86_64 (and the other common arches: the classic 1-31
// differ only on mips/sparc/alpha, which tsrun does not target). RT signals use glibc's
// SIGRTMIN (34): the kernel's first two RT signals are taken by glibc's threading.
import { TsrunError } from '../common/errors';

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
  SIGRTMIN,
  SIGRTMAX,
};

/**
 * Parse what `kill` accepts, like runc: a number ("9"), or a name with or without "SIG",
 * any case ("KILL", "sigterm"). Also "RTMIN+3" / "SIGRTMAX-1" (runc 1.1 rejects those;
 * accepting them is harmless). Numbers are passed through for the kernel to judge.
 */
export function parseSignal(raw: string): number {
  const s = raw.trim();
  if (/^\d+$/.test(s)) return Number(s);
  let name = s.toUpperCase();
  if (!name.startsWith('SIG')) name = 'SIG' + name;
  const known = SIGNALS[name];
  if (known !== undefined) return known;
  const rt = /^SIGRT(MIN|MAX)([+-])(\d+)$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const n = rt[2] === '+' ? base + Number(rt[3]) : base - Number(rt[3]);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new TsrunError(`unknown signal "${raw}"`);
}

/** Canonical name of a signal number ("SIGTERM", "SIGRTMIN+3"), or the number as text. */
export function signalName(n: number): string {
  for (const [name, num] of Object.entries(SIGNALS)) {
    if (num === n && name !== 'SIGIOT' && name !== 'SIGCLD' && name !== 'SIGPOLL') return name;
  }
  if (n > SIGRTMIN && n < SIGRTMAX) return `SIGRTMIN+${n - SIGRTMIN}`;
  return String(n);
}
