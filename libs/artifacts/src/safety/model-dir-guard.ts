import { lstat, open, opendir, readFile, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MANIFEST_FILE, VadError } from '@vad/core';
import { unpackLimits, type UnpackLimits } from './limits';
import { MAX_TEXT_MEMBER_BYTES, TarGuard } from './tar-guard';

/**
 * unpack's checks for a model folder somebody else unpacked — SageMaker extracts model.tar.gz into
 * /opt/ml/model itself, so the server runs this at start-up before any worker reads a byte: only
 * plain files and folders (no links, devices, FIFOs, sockets), the model's own files (the ones
 * manifest.json lists, with the same per-file and total caps), nothing that looks like a pickle.
 * Bounded whatever the folder holds: it stops at the member cap while listing (opendir, not
 * readdir of a million names) and reads nothing but the manifest (≤ 1 MiB) and 8 bytes per file.
 */
const PICKLE_NAME = /\.(pkl|pickle|pth|pt|ckpt|joblib|npy|npz)$/i;

function refuse(dir: string, why: string): never {
  throw new VadError('unsafe_archive', `${dir}: ${why}; refusing to load the model`, { dir });
}

async function listing(dir: string): Promise<string[] | undefined> {
  const path = join(dir, MANIFEST_FILE);
  const s = await lstat(path).catch(() => undefined);
  if (!s) return undefined;
  if (!s.isFile()) refuse(dir, `${MANIFEST_FILE} is not a plain file`);
  if (s.size > MAX_TEXT_MEMBER_BYTES) refuse(dir, `${MANIFEST_FILE} is ${s.size} bytes, more than the ${MAX_TEXT_MEMBER_BYTES} it needs`);
  try {
    const files = (JSON.parse(await readFile(path, 'utf8')) as { files?: unknown }).files;
    return files && typeof files === 'object' && !Array.isArray(files) ? Object.keys(files) : undefined;
  } catch {
    return undefined; // verifyModelDir (in the workers) reports a bad manifest with its own code.
  }
}

async function startsLikePickle(path: string): Promise<boolean> {
  const f = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await f.read(head, 0, 2, 0);
    // PROTO 2–5, as torch.save (legacy), pickle.dump and joblib write them.
    return bytesRead === 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5;
  } finally {
    await f.close();
  }
}

export async function checkModelDirSafety(dir: string, overrides: Partial<UnpackLimits> = {}): Promise<void> {
  // A missing folder is the loader's to report (file_not_found / model_invalid), not a hostile one.
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) return;
  const limits = unpackLimits(overrides);
  const guard = new TarGuard(limits, { member: `${dir}: file`, refusing: 'refusing to load the model' });
  const listed = await listing(dir);
  if (listed) guard.setListing(listed);
  const pending = [dir];
  while (pending.length > 0) {
    const folder = pending.pop()!;
    for await (const e of await opendir(folder)) {
      const path = join(folder, e.name);
      const rel = relative(dir, path);
      const s = await lstat(path);
      const type = s.isFile()
        ? 'File'
        : s.isDirectory()
          ? 'Directory'
          : s.isSymbolicLink()
            ? 'SymbolicLink'
            : s.isFIFO()
              ? 'FIFO'
              : s.isCharacterDevice()
                ? 'CharacterDevice'
                : s.isBlockDevice()
                  ? 'BlockDevice'
                  : 'Socket';
      if (s.isFile() && PICKLE_NAME.test(e.name))
        refuse(dir, `${rel} is a pickle or numpy file, which a model folder never holds (import anomalib files with \`artifacts import\`)`);
      guard.accept({ path: rel, type, size: s.size, ...(s.isSymbolicLink() ? { linkpath: await readlink(path) } : {}) });
      if (s.isDirectory()) pending.push(path);
      // density.safetensors may start 0x80 0x02 (a 640-byte header length): only text files are checked.
      else if ((e.name.endsWith('.json') || e.name.endsWith('.yaml')) && (await startsLikePickle(path))) refuse(dir, `${rel} is a pickle`);
    }
  }
}
