// `checkpoint` / `restore` through CRIU. tsrun checks that CRIU can work on this host
// (`criu check`) before it touches anything; where it cannot (criu missing, or a kernel it
// does not support), the command fails with criu's own complaint on one line and the
// container, the bundle and the state root are left exactly as they were. The dump and
// restore themselves (CRIU's RPC, runc's image layout) are not implemented yet: with a
// working CRIU the commands say so, equally without side effects.
import { spawnSync } from 'node:child_process';
import { TsrunError } from '../common/errors';
import { loadBundle } from '../oci/load';
import { requireStatus } from './lifecycle';
import type { RuntimeOptions } from './options';
import { deriveStatus } from './status';
import { Store } from './store';

export const MANAGE_CGROUPS_MODES = ['soft', 'full', 'strict'] as const;

/** What runc 1.1's checkpoint flags ask for (validated here, used once CRIU support lands). */
export interface CheckpointOptions {
  /** The criu binary (global --criu; default "criu" from PATH). */
  criu?: string;
  imagePath?: string;
  workPath?: string;
  parentPath?: string;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  lazyPages?: boolean;
  statusFd?: number;
  pageServer?: string;
  fileLocks?: boolean;
  preDump?: boolean;
  manageCgroupsMode?: string;
  emptyNs?: string[];
  autoDedup?: boolean;
}

export interface RestoreOptions extends Omit<CheckpointOptions, 'parentPath' | 'leaveRunning' | 'statusFd' | 'pageServer' | 'preDump'> {
  bundle: string;
  consoleSocket?: string;
  detach?: boolean;
  pidFile?: string;
  noSubreaper?: boolean;
  noPivot?: boolean;
  lsmProfile?: string;
  lsmMountContext?: string;
}

const NAMESPACES = ['network', 'pid', 'ipc', 'uts', 'mount', 'user', 'cgroup', 'time'];

function validate(o: CheckpointOptions): void {
  if (o.manageCgroupsMode !== undefined && !(MANAGE_CGROUPS_MODES as readonly string[]).includes(o.manageCgroupsMode)) {
    throw new TsrunError(`invalid --manage-cgroups-mode value ${JSON.stringify(o.manageCgroupsMode)} (one of: ${MANAGE_CGROUPS_MODES.join(', ')})`);
  }
  for (const ns of o.emptyNs ?? []) {
    if (!NAMESPACES.includes(ns)) throw new TsrunError(`invalid --empty-ns value ${JSON.stringify(ns)} (a namespace type: ${NAMESPACES.join(', ')})`);
  }
  if (o.pageServer !== undefined && !/^.+:\d+$/.test(o.pageServer)) {
    throw new TsrunError(`invalid --page-server ${JSON.stringify(o.pageServer)}: expected ADDRESS:PORT`);
  }
}

/**
 * Run `criu check` and throw its complaint when CRIU cannot checkpoint on this host.
 * Returns when it can.
 */
export function criuCheck(op: 'checkpoint' | 'restore', criu = 'criu'): void {
  const r = spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${JSON.stringify(criu)}: executable file not found (install criu, or pass --criu PATH)` : `${criu}: ${code ?? r.error.message}`;
    throw new TsrunError(`${op}: cannot run criu check: ${why}`);
  }
  if (r.status !== 0) {
    const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
    const complaint = lines.find((l) => /^Error\b/.test(l)) ?? lines[0] ?? `exit status ${r.status ?? r.signal}`;
    throw new TsrunError(`${op}: criu check failed (${r.status === null ? `signal ${r.signal}` : `exit status ${r.status}`}): ${complaint}`);
  }
}

export async function checkpoint(g: RuntimeOptions, id: string, o: CheckpointOptions): Promise<void> {
  validate(o);
  const store = new Store(g.root);
  Store.validateId(id);
  await store.withLock(id, () => {
    const rec = store.load(id);
    requireStatus('checkpoint', deriveStatus(rec, store), id);
    g.logger?.debug?.(`checkpoint ${id}: running ${o.criu ?? 'criu'} check`);
    criuCheck('checkpoint', o.criu);
    throw new TsrunError('checkpoint: criu check passed, but tsrun does not implement checkpointing through CRIU yet; the container is left running');
  });
}

export async function restore(g: RuntimeOptions, id: string, o: RestoreOptions): Promise<void> {
  validate(o);
  Store.validateId(id);
  const store = new Store(g.root);
  if (store.exists(id)) throw new TsrunError(`container with id exists: ${id}`);
  loadBundle(o.bundle); // a bad bundle is reported before criu is asked
  criuCheck('restore', o.criu);
  throw new TsrunError('restore: criu check passed, but tsrun does not implement restoring through CRIU yet; nothing was created');
}
