// `events`: the container's usage counters and OOM notifications as runc 1.1 prints them.
// --stats: one stats event, then done. Otherwise a stats event every interval and an
// "oom" event for each OOM of the container's memory cgroup. As runc 1.1: on cgroup v2 until
// the container stops (its init exits); on v1 and hybrid the stopped container's cgroup
// stays until `delete`, and so does the stream (stats of the empty cgroup every interval):
// it ends, status 0, once the container is deleted. One non-blocking poll loop, so nothing
// can hang the process.
import { openCgroup, type OomWatch, type Stats } from '../linux/cgroups';
import { TsrunError } from '../common/errors';
import { initAlive } from '../linux/proc';
import { requireStatus } from './lifecycle';
import type { RuntimeOptions } from './options';
import { deriveStatus } from './status';
import { Store } from './store';

export type ContainerEvent = { type: 'stats'; id: string; data: Stats } | { type: 'oom'; id: string };

export interface EventsOptions {
  /** Print one stats event and return. */
  stats: boolean;
  intervalMs: number;
}

/** How often OOM counters and the container's liveness are checked while streaming. */
const POLL_MS = 100;

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("5s", "1m30s", "250ms", "1.5h") in milliseconds; null when malformed. */
export function parseDuration(s: string): number | null {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let at = 0;
  const neg = s.startsWith('-');
  const body = neg || s.startsWith('+') ? s.slice(1) : s;
  if (!body) return null;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    ms += Number(m[1]) * UNITS[m[2]];
    at = re.lastIndex;
  }
  if (at !== body.length) return null;
  return neg ? -ms : ms;
}

export async function events(g: RuntimeOptions, id: string, o: EventsOptions, emit: (e: ContainerEvent) => void): Promise<void> {
  if (!(o.intervalMs > 0)) throw new TsrunError('duration interval must be greater than 0');
  const store = new Store(g.root);
  const rec = store.load(id);
  requireStatus('events', deriveStatus(rec, store), id);
  if (!rec.cgroup) throw new TsrunError(`container ${id} has no cgroup: no stats or OOM events`);
  const mgr = openCgroup(rec.cgroup);
  if (o.stats) {
    emit({ type: 'stats', id, data: mgr.stats() });
    return;
  }
  const watch: OomWatch | null = mgr.oomWatch();
  const v2 = rec.cgroup.mode === 'v2';
  g.logger?.debug?.(`events ${id}: stats every ${o.intervalMs} ms, OOM notifications ${watch ? `from cgroup ${rec.cgroup.mode}` : 'unavailable (no memory controller)'}`);
  try {
    let nextStats = Date.now() + o.intervalMs;
    for (;;) {
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(POLL_MS, nextStats - Date.now()))));
      // OOMs first: an OOM that killed the init must be reported before we stop.
      for (let n = watch?.take() ?? 0; n > 0; n--) emit({ type: 'oom', id });
      if ((v2 && !initAlive(rec)) || watch?.gone() || !store.exists(id)) return;
      if (Date.now() >= nextStats) {
        nextStats += o.intervalMs;
        if (nextStats < Date.now()) nextStats = Date.now() + o.intervalMs; // fell behind: no burst
        try {
          emit({ type: 'stats', id, data: mgr.stats() });
        } catch (e) {
          (g.logger?.error ?? g.logger?.warn)?.((e as Error).message); // as runc: report and keep going
        }
      }
    }
  } finally {
    watch?.close();
  }
}
