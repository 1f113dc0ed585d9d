import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromFile } from 'file-type';

/** The upload is bigger than the limit; nothing was kept. */
export class FileTooLargeError extends Error {
  constructor(public readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes.`);
    this.name = 'FileTooLargeError';
  }
}

/** A file written to a temporary name: not visible under its hash until `commit`. */
export interface StagedFile {
  sha256: string;
  size: number;
  /** The type judged from the first bytes (file-type), or null when unrecognised. */
  sniffedType: string | null;
  /** Moves the file to its content address (atomic rename); a no-op when that content is already stored. */
  commit(): Promise<void>;
  /** Removes the temporary file. Safe to call more than once and after commit. */
  discard(): Promise<void>;
}

/**
 * Where attachments live, addressed by the SHA-256 of their content. Filenames from clients never
 * reach this interface: only hashes (checked to be 64 hex digits) become paths. An object store can
 * implement the same four methods.
 */
export interface BlobStorage {
  /** Streams `source` to a temporary file, hashing and counting; over `maxBytes` it stops, deletes it and throws FileTooLargeError. */
  stage(source: Readable, maxBytes: number): Promise<StagedFile>;
  /** The stored content, or null when it is not there. */
  open(sha256: string): Promise<{ stream: ReadStream; size: number } | null>;
  /** Deletes the stored content if `stillReferenced()` says nothing refers to it (checked again right before and after). */
  removeIfUnreferenced(sha256: string, stillReferenced: () => Promise<boolean>): Promise<boolean>;
  /** Whether the content is stored (tests and diagnostics). */
  has(sha256: string): Promise<boolean>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The directory implementation: `<root>/<aa>/<bb>/<sha256>`, temporary files in `<root>/tmp`. */
export class DirectoryStorage implements BlobStorage {
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error('not a SHA-256 hex digest');
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async stage(source: Readable, maxBytes: number): Promise<StagedFile> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, `${Date.now().toString(36)}-${randomBytes(12).toString('hex')}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new FileTooLargeError(maxBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // 'wx': the name is random, but never overwrite whatever might be there.
    const handle = await open(tmp, 'wx', 0o640);
    try {
      await pipeline(source, meter, handle.createWriteStream());
    } catch (err) {
      await handle.close().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
    const discard = () => rm(tmp, { force: true });
    let sniffedType: string | null = null;
    try {
      sniffedType = size > 0 ? ((await fileTypeFromFile(tmp))?.mime ?? null) : null;
    } catch (err) {
      await discard();
      throw err;
    }
    const sha256 = hash.digest('hex');
    const final = this.pathOf(sha256);
    return {
      sha256,
      size,
      sniffedType,
      commit: async () => {
        await mkdir(path.dirname(final), { recursive: true });
        // Same content is the same file: keep the one already there.
        if (await exists(final)) return discard();
        await rename(tmp, final);
      },
      discard,
    };
  }

  async open(sha256: string) {
    const file = this.pathOf(sha256);
    try {
      const { size } = await stat(file);
      return { stream: createReadStream(file), size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async removeIfUnreferenced(sha256: string, stillReferenced: () => Promise<boolean>): Promise<boolean> {
    const file = this.pathOf(sha256);
    if (await stillReferenced()) return false;
    // Move it aside first and look again: an upload of the same content that committed meanwhile
    // gets its file back instead of losing it.
    const aside = path.join(this.tmpDir, `${sha256}-${randomBytes(6).toString('hex')}.del`);
    await mkdir(this.tmpDir, { recursive: true });
    try {
      await rename(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (await stillReferenced()) {
      if (!(await exists(file))) await rename(aside, file);
      else await rm(aside, { force: true });
      return false;
    }
    await rm(aside, { force: true });
    return true;
  }

  has(sha256: string): Promise<boolean> {
    return exists(this.pathOf(sha256));
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
