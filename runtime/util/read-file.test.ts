import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegularFileStream, readRegularFile, type ReadFileOptions } from './read-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-read-file-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const opts = (over: Partial<ReadFileOptions> = {}): ReadFileOptions => ({
  maxBytes: 1024,
  what: 'test file',
  followLinks: true,
  ...over,
});

describe('readRegularFile (one checked descriptor, bounded)', () => {
  it('reads a regular file whole', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'hello');
    expect((await readRegularFile(file, opts())).toString()).toBe('hello');
    await writeFile(file, Buffer.alloc(1024, 7));
    expect((await readRegularFile(file, opts())).length).toBe(1024);
  });

  it('refuses a file over the limit before reading it (a sparse 64 GiB file returns at once)', async () => {
    const file = join(dir, 'huge.json');
    await writeFile(file, '');
    await truncate(file, 64 * 1024 ** 3);
    const started = performance.now();
    await expect(readRegularFile(file, opts({ invalidCode: 'POLICY_INVALID' }))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: /is 68719476736 bytes, over the 1024-byte limit/,
    });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(dir, 'stall.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(readRegularFile(fifo, opts())).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: /not a regular file/,
    });
  });

  it('refuses a link to /dev/zero (a device) instead of reading without end', async () => {
    const link = join(dir, 'zero.json');
    await symlink('/dev/zero', link);
    await expect(readRegularFile(link, opts({ invalidCode: 'KEY_INVALID' }))).rejects.toMatchObject({
      code: 'KEY_INVALID',
      message: /not a regular file/,
    });
  });

  it('follows a link only where the caller allows it', async () => {
    const file = join(dir, 'real.txt');
    const link = join(dir, 'link.txt');
    await writeFile(file, 'real');
    await symlink(file, link);
    expect((await readRegularFile(link, opts({ followLinks: true }))).toString()).toBe('real');
    await expect(readRegularFile(link, opts({ followLinks: false }))).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: /is a symbolic link; Airlock does not follow links here/,
    });
  });

  it('names a missing file with the caller’s code', async () => {
    await expect(
      readRegularFile(join(dir, 'absent'), opts({ missingCode: 'MEDIA_NOT_FOUND' })),
    ).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND', message: /Cannot read the test file/ });
    const error = await readRegularFile(join(dir, 'absent'), opts({})).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/: it does not exist\. Check the path/);
    expect((error as Error).message).not.toMatch(/ENOENT|no such file/);
    expect((error as { details: Record<string, unknown> }).details['os']).toMatch(/ENOENT/);
  });
});

describe('openRegularFileStream', () => {
  it('never yields more than the limit + 1 bytes, even when the file grows after the check', async () => {
    const file = join(dir, 'bundle.airlock');
    await writeFile(file, Buffer.alloc(1000, 1));
    const { stream, size } = await openRegularFileStream(file, opts());
    expect(size).toBe(1000);
    // The file grows far past the limit after it was opened and checked.
    await appendFile(file, Buffer.alloc(1 << 20, 2));
    let read = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) read += chunk.length;
    expect(read).toBe(1025);
  });

  it('refuses what the whole-file reader refuses: FIFOs, devices, oversized files', async () => {
    const fifo = join(dir, 'fifo.airlock');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(openRegularFileStream(fifo, opts({ invalidCode: 'TAR_INVALID' }))).rejects.toMatchObject({
      code: 'TAR_INVALID',
    });
    const big = join(dir, 'big.airlock');
    await writeFile(big, Buffer.alloc(2048));
    await expect(
      openRegularFileStream(big, opts({ invalidCode: 'TAR_INVALID', tooLargeCode: 'TAR_LIMIT_EXCEEDED' })),
    ).rejects.toMatchObject({ code: 'TAR_LIMIT_EXCEEDED' });
  });
});
