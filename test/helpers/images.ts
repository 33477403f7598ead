// Local test images for the caller tests (docker, containerd): a busybox-static rootfs as a
// plain tar (for `docker import`) and as an OCI image layout tar (for `ctr image import`),
// built here so that no registry is needed.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = path.resolve(__dirname, '../..');

function tar(args: string[]): void {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr}`);
}

/** Write DIR/rootfs (busybox, as scripts/mkbundle.mjs makes it) and DIR/rootfs.tar; returns the tar. */
export async function busyboxRootfsTar(dir: string): Promise<string> {
  const { makeRootfs } = await import(pathToFileURL(path.join(REPO, 'scripts/mkbundle.mjs')).href);
  const rootfs = path.join(dir, 'rootfs');
  makeRootfs(rootfs);
  const out = path.join(dir, 'rootfs.tar');
  tar(['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', out, '.']);
  return out;
}

/**
 * An OCI image layout (one uncompressed layer) in a tar, named `name` through the
 * `io.containerd.image.name` annotation that `ctr image import` reads.
 */
export function ociImageTar(rootfsTar: string, dir: string, name: string): string {
  const layout = path.join(dir, 'oci-layout');
  const blobs = path.join(layout, 'blobs/sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer) => {
    const hex = createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const layer = put(fs.readFileSync(rootfsTar));
  const config = put(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: { 'io.containerd.image.name': name },
    }],
  }));
  const out = path.join(dir, 'image-oci.tar');
  tar(['-C', layout, '-cf', out, '.']);
  return out;
}
