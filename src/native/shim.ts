// The koffi binding: the only file that declares native functions (the shim's and libc's).
// Loaded lazily by the commands that need it (create, run).
import { constants as osConstants } from 'node:os';
import { TsrunError } from '../common/errors';
import { mark } from '../common/timing';
import { loadKoffi, shimLibraryPath } from './loader';

/** Sync message types; keep in sync with native-shim/plan.h (enum sync_type). */
export const SYNC = { GO: 1, USERMAP: 2, INIT_PID: 3, READY: 4, ERROR: 5 } as const;

export interface SyncMessage {
  /** 0 when the peer closed the socket (the child died). */
  type: number;
  value: number;
  text: string;
}

export interface Native {
  /** Fork stage 1 with the launch plan; returns its pid and the parent's end of the sync
   *  socket. With cgroupFd (an open cgroup2 dir) it is born in that cgroup when the kernel
   *  allows (joined: true); otherwise the caller moves it. */
  spawn(plan: Buffer, cgroupFd?: number): { pid: number; syncFd: number; joined: boolean };
  send(fd: number, type: number, payload?: Buffer): void;
  /** null on timeout. */
  recv(fd: number, timeoutMs: number): SyncMessage | null;
  /** Blocking waitpid; returns the raw wait status. */
  wait(pid: number): number;
  /** waitpid in a worker thread, so signal handlers keep running meanwhile. */
  waitAsync(pid: number): Promise<number>;
  close(fd: number): void;
  mkfifo(path: string, mode: number): void;
  errnoName(errno: number): string;
  /**
   * Load a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[]) and make it the device
   * filter of a cgroup2 dir, replacing the ones attached there. Throws an Error with errno.
   */
  attachDeviceProgram(insns: Buffer, cgroupDir: string): void;
  /** Listen on a unix socket for a pty master (`run` with a terminal and no --console-socket). */
  consoleListen(path: string): number;
  /** Accept one connection and return the fd it sends. */
  consoleReceive(listenFd: number, timeoutMs: number): number;
  setWinsize(fd: number, rows: number, cols: number): void;
  /** A non-blocking, close-on-exec eventfd (cgroup v1 OOM notifications). */
  eventfd(): number;
  /** --pidfd-socket: send a pidfd of pid to the unix socket at path. Throws with the errno name. */
  sendPidfd(path: string, pid: number): void;
  /** Send fd over the unix socket at path (SCM_RIGHTS, data as the message). Throws with the errno name. */
  sendFd(path: string, fd: number, data: string): void;
  /** A new pty pair in this process's devpts (restore of a container with a terminal): the
   *  master, the slave (both close-on-exec) and the slave's path. */
  openPty(): { master: number; slave: number; name: string };
  /** Create missing mountpoints beneath rootfs (dirs, or files where file), resolved inside it
   *  as create does. Throws with the shim's message. */
  makeMountpoints(rootfs: string, points: Array<{ path: string; file: boolean }>): void;
  /** PR_SET_CHILD_SUBREAPER on this process (a foreground `run`). Throws with the errno name. */
  setSubreaper(): void;
  /** Reap exited children other than keepPid (never blocks); returns how many. */
  reapOthers(keepPid: number): number;
  /** mount(src, dst, NULL, MS_BIND|MS_REC): restore's root for CRIU must be a mount point. */
  bindMount(src: string, dst: string): void;
  /** umount2(path, MNT_DETACH); never throws. */
  unmountDetach(path: string): void;
}

let native: Native | undefined;

export function loadNative(): Native {
  if (native) return native;
  const koffi = loadKoffi();
  mark('koffi loaded');
  const shim = koffi.load(shimLibraryPath());
  const libc = koffi.load('libc.so.6');
  mark('shim+libc loaded');
  const spawn = shim.func('int tsrun_spawn(const uint8_t *plan, size_t len, int cgroup_fd, _Out_ int *sync_out, _Out_ int *joined)');
  const send = shim.func('int tsrun_send(int fd, int type, const uint8_t *data, size_t len)');
  const recv = shim.func(
    'int tsrun_recv(int fd, int timeout_ms, _Out_ int *type, _Out_ int *value, _Out_ uint8_t *text, size_t textlen)',
  );
  const wait = shim.func('int tsrun_wait(int pid, _Out_ int *status)');
  const consoleListen = shim.func('int tsrun_console_listen(const char *path)');
  const consoleRecv = shim.func('int tsrun_console_recv(int lfd, int timeout_ms)');
  const setWinsize = shim.func('int tsrun_set_winsize(int fd, int rows, int cols)');
  const close = libc.func('int close(int fd)');
  const mkfifo = libc.func('int mkfifo(const char *path, uint32_t mode)');
  const errnoLoc = libc.func('int *__errno_location()');
  const eventfd = libc.func('int eventfd(unsigned int initval, int flags)');
  const sendPidfd = shim.func('int tsrun_send_pidfd(const char *path, int pid)');
  const sendFd = shim.func('int tsrun_send_fd(const char *path, int fd, const char *data)');
  const makeMountpoints = shim.func('int tsrun_make_mountpoints(const char *rootfs, const uint8_t *list, _Out_ uint8_t *err, int errlen)');
  const openPty = shim.func('int tsrun_open_pty(_Out_ int *slave, _Out_ uint8_t *name, int namelen)');
  const setSubreaper = shim.func('int tsrun_set_subreaper(void)');
  const reapOthers = shim.func('int tsrun_reap_others(int keep_pid)');
  const strerrorname = libc.func('const char *strerrorname_np(int errnum)');
  const mount = libc.func('int mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)');
  const umount2 = libc.func('int umount2(const char *path, int flags)');
  const attachDev = shim.func(
    'int tsrun_attach_device_prog(const uint8_t *insns, size_t count, const char *cgroup_dir, _Out_ uint8_t *log, size_t loglen)',
  );
  mark('functions declared');
  const lastErrno = (): number => koffi.decode(errnoLoc(), 'int') as number;
  const name = (e: number): string => (strerrorname(e) as string | null) ?? `errno ${e}`;

  native = {
    spawn(plan, cgroupFd = -1) {
      const out = [0];
      const joined = [0];
      const r = spawn(plan, plan.length, cgroupFd, out, joined) as number;
      if (r < 0) throw Object.assign(new Error(`fork: ${name(-r)}`), { errno: -r });
      return { pid: r, syncFd: out[0], joined: joined[0] === 1 };
    },
    send(fd, type, payload) {
      const buf = payload ?? Buffer.alloc(0);
      const r = send(fd, type, buf, buf.length) as number;
      if (r < 0) throw new Error(`send to container init: ${name(-r)}`);
    },
    recv(fd, timeoutMs) {
      const type = [0];
      const value = [0];
      const text = Buffer.alloc(8192);
      const r = recv(fd, timeoutMs, type, value, text, text.length) as number;
      if (r === -110 /* ETIMEDOUT */) return null;
      if (r < 0) throw new Error(`receive from container init: ${name(-r)}`);
      return { type: type[0], value: value[0], text: text.subarray(0, r).toString() };
    },
    wait(pid) {
      const status = [0];
      const r = wait(pid, status) as number;
      if (r < 0) throw new Error(`waitpid ${pid}: ${name(-r)}`);
      return status[0];
    },
    waitAsync(pid) {
      return new Promise((resolve, reject) => {
        const status = [0];
        wait.async(pid, status, (err: unknown, r: number) => {
          if (err) reject(err);
          else if (r < 0) reject(new Error(`waitpid ${pid}: ${name(-r)}`));
          else resolve(status[0]);
        });
      });
    },
    close(fd) {
      close(fd);
    },
    mkfifo(path, mode) {
      if ((mkfifo(path, mode) as number) < 0) {
        const e = lastErrno();
        throw new Error(`mkfifo ${path}: ${name(e)}`);
      }
    },
    errnoName: name,
    consoleListen(path) {
      const r = consoleListen(path) as number;
      if (r < 0) throw new Error(`listen on console socket ${path}: ${name(-r)}`);
      return r;
    },
    consoleReceive(listenFd, timeoutMs) {
      const r = consoleRecv(listenFd, timeoutMs) as number;
      if (r < 0) throw new Error(`receive the container's terminal: ${name(-r)}`);
      return r;
    },
    setWinsize(fd, rows, cols) {
      setWinsize(fd, rows, cols);
    },
    eventfd() {
      const EFD_CLOEXEC = 0o2000000;
      const EFD_NONBLOCK = 0o4000;
      const fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) as number;
      if (fd < 0) throw new Error(`eventfd: ${name(lastErrno())}`);
      return fd;
    },
    sendPidfd(path, pid) {
      const r = sendPidfd(path, pid) as number;
      if (r < 0) throw Object.assign(new Error(`send a pidfd of pid ${pid} to ${path}: ${name(-r)}`), { errno: -r });
    },
    sendFd(path, fd, data) {
      const r = sendFd(path, fd, data) as number;
      if (r < 0) throw Object.assign(new Error(`send fd to ${path}: ${name(-r)}`), { errno: -r });
    },
    makeMountpoints(rootfs, points) {
      if (!points.length) return;
      const list = Buffer.from(points.map((p) => `${p.file ? 'f' : 'd'}${p.path}\0`).join('') + '\0');
      const err = Buffer.alloc(4096);
      const r = makeMountpoints(rootfs, list, err, err.length) as number;
      if (r === -1) throw new Error(err.subarray(0, err.indexOf(0)).toString());
      if (r < 0) throw Object.assign(new Error(`create mountpoints: ${name(-r)}`), { errno: -r });
    },
    openPty() {
      const slave = [0];
      const buf = Buffer.alloc(64);
      const master = openPty(slave, buf, buf.length) as number;
      if (master < 0) throw Object.assign(new Error(`open a pty: ${name(-master)}`), { errno: -master });
      return { master, slave: slave[0], name: buf.subarray(0, buf.indexOf(0)).toString() };
    },
    setSubreaper() {
      const r = setSubreaper() as number;
      if (r < 0) throw new Error(`become child subreaper: ${name(-r)}`);
    },
    reapOthers(keepPid) {
      const r = reapOthers(keepPid) as number;
      if (r < 0) throw new Error(`reap orphans: ${name(-r)}`);
      return r;
    },
    bindMount(src, dst) {
      const MS_BIND = 0x1000;
      const MS_REC = 0x4000;
      if ((mount(src, dst, null, MS_BIND | MS_REC, null) as number) < 0) {
        const e = lastErrno();
        throw Object.assign(new Error(`bind mount ${src} on ${dst}: ${name(e)}`), { errno: e });
      }
    },
    unmountDetach(p) {
      const MNT_DETACH = 2;
      umount2(p, MNT_DETACH);
    },
    attachDeviceProgram(insns, cgroupDir) {
      const log = Buffer.alloc(65536);
      const r = attachDev(insns, insns.length / 8, cgroupDir, log, log.length) as number;
      if (r < 0) {
        // "<step>[: verifier log]": one line with the step and the log's last two lines (the verdict).
        const end = log.indexOf(0);
        const lines = log.subarray(0, end < 0 ? log.length : end).toString().split('\n').filter(Boolean);
        const what = [lines[0] ?? 'bpf', ...lines.slice(1).slice(-2)].join(' ');
        throw Object.assign(new Error(`${what}: ${name(-r)}`), { errno: -r });
      }
    },
  };
  return native;
}

/** Exit code of a process from its raw wait status, as a shell reports it. */
/** A child's SYNC_ERROR message as an error: its text (one line) and its errno by name. */
export function childError(m: { text: string; value: number }): TsrunError {
  const errno = m.value > 0 ? Object.entries(osConstants.errno).find(([, v]) => v === m.value)?.[0] : undefined;
  return new TsrunError(m.text, errno ? { errno } : {});
}

export function exitCodeOf(status: number): number {
  const sig = status & 0x7f;
  if (sig === 0) return (status >> 8) & 0xff;
  return 128 + sig;
}
