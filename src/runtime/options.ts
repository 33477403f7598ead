// Options shared by the CLI and the library entry points.

/** runc's global flags. */
export interface GlobalOptions {
  /** State root, default /run/tsrun. */
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
