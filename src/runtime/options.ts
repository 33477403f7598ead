// Options shared by the CLI and the library entry points.

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
  noPivot: boolean;
  noNewKeyring: boolean;
  /** Number of fds after stdio (3..3+n-1) passed to the container. */
  preserveFds: number;
}

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
}
