// Options shared by the CLI and the library entry points.
import type { CgroupManager, CgroupOptions, CgroupRef } from '../linux/cgroups/types';
import type { Native } from '../native/shim';

/** Where the library's warnings go: it never prints. The CLI passes its --log writer. */
export interface Logger {
  warn(msg: string): void;
  error?(msg: string): void;
  debug?(msg: string): void;
}

/** The state root runc-compatible callers expect (runc's is /run/runc). */
export const DEFAULT_ROOT = '/run/tsrun';

/** What every library operation takes; all of it optional. */
export interface RuntimeOptions {
  /** State root (default /run/tsrun): one dir per container, in a tmpfs. */
  root?: string;
  /** cgroupsPath is "slice:prefix:name" and cgroups are made through systemd's layout. */
  systemdCgroup?: boolean;
  /** Tolerate cgroup permission errors (default: when not running as root). */
  rootless?: boolean;
  /** Receives warnings (capabilities that cannot be granted, failing poststop hooks...). */
  logger?: Logger;
}

/** runc's global flags, as the CLI fills them in. */
export interface GlobalOptions extends RuntimeOptions {
  root: string;
  systemdCgroup: boolean;
  rootless: boolean;
  debug: boolean;
  log?: string;
  logFormat: 'text' | 'json';
}

/** Flags of `create` (and `run`). */
export interface CreateOptions {
  id: string;
  /** Bundle directory (absolute or relative to cwd). */
  bundle: string;
  consoleSocket?: string;
  pidFile?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** Number of fds after stdio (3..3+n-1) passed to the container (default 0). */
  preserveFds?: number;
  /** runc 1.2's --pidfd-socket: a unix socket that receives a pidfd of the init once created. */
  pidfdSocket?: string;
}

/**
 * What create/exec launch with. Defaults: the real shim (loaded on first use) and the
 * host's cgroups; unit tests pass fakes (test/helpers/fake-native.ts) to drive the
 * parent's side of the sync protocol and its clean-up paths without root.
 */
export interface LaunchDeps {
  native?: Native;
  newCgroup?: (opts: CgroupOptions) => CgroupManager;
  openCgroup?: (ref: CgroupRef) => CgroupManager;
}

/** The caller's terminal, for `run` of a container with process.terminal and no console socket. */
export interface TerminalStreams {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/**
 * What a foreground `run` or `exec` may touch in the calling process; only what is given.
 * (The container's stdio is the caller's fds 0-2, inherited, as with runc.)
 */
export interface ProcessIo {
  /** Forward the caller's signals to the container process; returns the undo. The CLI
   *  passes forwardSignals from process-io.ts. */
  forwardSignals?: (pid: number) => () => void;
  /** Streams to proxy the container's pty to (a function: process.stdin costs to create). */
  terminal?: () => TerminalStreams;
}

export interface RunOptions extends CreateOptions {
  /** Return once started instead of waiting for the init (exit code 0). */
  detach?: boolean;
  /** Do not delete the container after it exits. */
  keep?: boolean;
  /** Do not become the child subreaper of a foreground run (runc's --no-subreaper). */
  noSubreaper?: boolean;
  io?: ProcessIo;
}
