// Run a busybox container through tsrun's API, then walk one through its lifecycle.
//   npm install && npm run build          (tsrun itself must be built: npm run build in ../..)
//   sudo node dist/main.js ROOTFS [STATE_ROOT]
// ROOTFS: a directory with busybox in it (node ../../scripts/mkbundle.mjs /tmp/b makes
// /tmp/b/rootfs). The containers write to this process's stdout: tsrun passes fds 0-2 on.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tsrun from 'tsrun';
import { TsrunError, type ContainerState, type RuntimeOptions, type Spec } from 'tsrun';

async function main(): Promise<number> {
  const [rootfs, root = '/run/tsrun-hello'] = process.argv.slice(2);
  if (!rootfs) {
    console.error('usage: main.js ROOTFS [STATE_ROOT]');
    return 2;
  }
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bundle-'));
  const warnings: string[] = [];
  // The library never prints: warnings come to our logger.
  const g: RuntimeOptions = { root, logger: { warn: (m) => warnings.push(m) } };
  const id = `hello-${process.pid}`;
  try {
    // runc's starter config, with our rootfs and command.
    const config: Spec = tsrun.spec();
    config.root = { path: path.resolve(rootfs), readonly: true };
    config.process!.terminal = false;
    const writeConfig = (args: string[]) => {
      config.process!.args = args;
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    };

    // 1. run: create + start + wait + delete, like `tsrun run`.
    writeConfig(['sh', '-c', 'echo "hello from $(hostname), pid $$, uid $(id -u)"']);
    const code = await tsrun.run(g, { id, bundle });
    console.log(`run exited with ${code}`);

    // 2. The same container step by step.
    writeConfig(['sleep', '30']);
    await tsrun.create(g, { id, bundle });
    const created: ContainerState = tsrun.state(g, id);
    // @ts-expect-error: status is a union of status names, not a number (the types are real)
    const notANumber: number = created.status;
    console.log(`after create: ${created.status}${notANumber ? '' : ''}`);
    await tsrun.start(g, id);
    console.log(`after start: ${tsrun.state(g, id).status}, pid ${tsrun.state(g, id).pid}`);
    const execCode = await tsrun.exec(g, {
      id,
      process: { ...config.process!, args: ['sh', '-c', 'echo "exec sees pid 1 as: $(tr "\\0" " " < /proc/1/cmdline)"'] },
    });
    console.log(`exec exited with ${execCode}`);
    await tsrun.pause(g, id);
    console.log(`after pause: ${tsrun.state(g, id).status}`);
    await tsrun.resume(g, id);
    await tsrun.kill(g, id, 'SIGKILL');
    while (tsrun.state(g, id).status !== 'stopped') await new Promise((r) => setTimeout(r, 20));
    try {
      await tsrun.start(g, id);
    } catch (err) {
      if (!(err instanceof TsrunError)) throw err;
      console.log(`start refused: code ${err.code}: ${err.message}`);
    }
    await tsrun.delete(g, id);
    console.log(`containers left: ${tsrun.list(g).length}`);
    if (warnings.length) console.log(`warnings: ${warnings.join('; ')}`);
    return 0;
  } finally {
    await tsrun.delete(g, id, true).catch(() => undefined);
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`hello-container: ${err instanceof TsrunError ? `${err.code}: ${err.message}` : err}`);
    process.exit(1);
  },
);
