// /proc readers shared by every layer above: a process's state and start time (the pair
// that tells a live init from a reused pid).
import * as fs from 'node:fs';

export interface ProcStat {
  /** Field 3: R, S, D, Z, X, T, t, ... */
  state: string;
  /** Field 22: start time in clock ticks since boot. */
  startTime: number;
}

/**
 * Fields 3 and 22 of /proc/<pid>/stat, or null when the process does not exist. The comm
 * field (2) is in parentheses and may itself hold spaces and ")", so parse after the LAST ")".
 */
export function procStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    // utf8, not latin1: node 20 reads utf8 in one native call; any other encoding goes
    // through JS helpers whose first use costs ~1.4 ms per command. Only the fields after
    // comm are parsed, and those are ASCII.
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseStat(text);
}

export function parseStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3, so field 22 is f[19].
  const startTime = Number(f[19]);
  if (!f[0] || !Number.isFinite(startTime)) return null;
  return { state: f[0], startTime };
}

export function procStartTime(pid: number): number | null {
  return procStat(pid)?.startTime ?? null;
}

/** The recorded init still runs (same start time, not a zombie or dead task). */
export function initAlive(rec: { pid: number; pidStartTime?: number }): boolean {
  const st = procStat(rec.pid);
  if (!st || st.state === 'Z' || st.state === 'X' || st.state === 'x') return false;
  return !rec.pidStartTime || st.startTime === rec.pidStartTime;
}
