// A foreground `run` of a container with process.terminal and no --console-socket: like runc,
// tsrun receives the pty master itself and copies between it and its own stdio, with the
// caller's terminal in raw mode and its window size passed on.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Native } from '../native/shim';
import type { TerminalStreams } from './options';

export class ConsoleReceiver {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly listenFd: number;
  private closed = false;

  constructor(private native: Native) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-console-'));
    this.socketPath = path.join(this.dir, 'console.sock');
    this.listenFd = native.consoleListen(this.socketPath);
  }

  /** The master the init sent during create. */
  receive(): number {
    try {
      return this.native.consoleReceive(this.listenFd, 10_000);
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close(this.listenFd);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Copy input -> master and master -> output until the container side closes. */
export function proxyTerminal(native: Native, master: number, io: TerminalStreams): { done: Promise<void>; stop(): void } {
  const { input: stdin, output: stdout } = io;
  const raw = stdin.isTTY === true;
  const resize = () => {
    if (stdout.isTTY) native.setWinsize(master, stdout.rows, stdout.columns);
  };
  if (raw) stdin.setRawMode(true);
  // setRawMode(false) restores the whole saved termios, OPOST included.
  if (raw && stdout.isTTY) native.rawOutput((stdout as { fd?: number }).fd ?? 1);
  resize();
  stdout.on('resize', resize);
  const onInput = (d: Buffer) => {
    try {
      fs.writeSync(master, d);
    } catch {
      /* the container side is gone */
    }
  };
  stdin.on('data', onInput);
  // Reads of the master fail with EIO once every slave fd is closed: that is the end.
  const out = fs.createReadStream('', { fd: master, autoClose: true, highWaterMark: 16 * 1024 });
  out.pipe(stdout, { end: false });
  const done = new Promise<void>((resolve) => {
    out.on('error', () => resolve());
    out.on('close', () => resolve());
  });
  return {
    done,
    stop() {
      stdin.off('data', onInput);
      stdout.off('resize', resize);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      stdin.unref?.();
    },
  };
}
