// The layer rule (cli -> runtime -> linux/oci/native -> common, nothing upward) and no import
// cycles, checked by scripts/check-layers.mjs over every import in src/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

type Check = (src?: string) => { files: number; violations: string[]; cycles: string[][] };
let check: Check;
beforeAll(async () => {
  ({ check } = (await import(path.join(__dirname, '../../scripts/check-layers.mjs'))) as { check: Check });
});

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-layers-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('layers', () => {
  it('src/ has no upward import and no import cycle', () => {
    const r = check();
    expect(r.files).toBeGreaterThan(50);
    expect(r.violations).toEqual([]);
    expect(r.cycles).toEqual([]);
  });

  it('catches upward imports of every kind, and cycles', () => {
    const dir = tree({
      'common/errors.ts': "import type { Spec } from '../oci/types';\n",
      'oci/types.ts': 'export type Spec = {};\n',
      'linux/plan.ts': "import { Store } from '../runtime/store';\nimport { a } from './a';\n",
      'linux/a.ts': "export const a = 1;\nimport { b } from './b';\n",
      'linux/b.ts': "export async function b() { await import('./a'); }\n",
      'runtime/store.ts': "// import { x } from '../cli/x'; (a comment, not an import)\nexport class Store {}\nconst c = require('../cli/main');\n",
      'cli/main.ts': "import { Store } from '../runtime/store';\n",
      'index.ts': "export { main } from './cli/main';\n",
    });
    try {
      const r = check(dir);
      expect(r.violations.sort()).toEqual([
        'common/errors.ts (common) imports oci/types.ts (oci): upward',
        'index.ts (index) imports cli/main.ts (cli): upward',
        'linux/plan.ts (linux) imports runtime/store.ts (runtime): upward',
        'runtime/store.ts (runtime) imports cli/main.ts (cli): upward',
      ]);
      expect(r.cycles).toEqual([['cli/main.ts', 'runtime/store.ts'], ['linux/a.ts', 'linux/b.ts']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
