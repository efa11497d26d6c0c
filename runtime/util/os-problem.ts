/**
 * What a failed file-system call means, in words for the person who named the path, instead of
 * Node's own text ("ENOENT: no such file or directory, open '/media/x'"), which is kept in the
 * error's details (`osDetail`) for whoever needs it.
 */
const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'this account is not allowed to read or change it',
  EPERM: 'the operating system does not permit it',
  EROFS: 'the medium is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EIO: 'the medium could not be read (an input/output error: it may be failing or was removed)',
  ENXIO: 'the device is not there (the medium may have been removed)',
  ENODEV: 'the device is not there (the medium may have been removed)',
  ELOOP: 'it goes through a link that loops or that Airlock does not follow',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many files are open at once',
  ENFILE: 'too many files are open at once',
  EBUSY: 'another program is using it',
  EEXIST: 'something of that name already exists',
  ENOTEMPTY: 'the folder is not empty',
  EXDEV: 'it is on another disk',
  ETXTBSY: 'another program is using it',
  EAGAIN: 'it is not ready to be read (a FIFO or device)',
};

export function osProblem(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && WORDS[code]) return WORDS[code];
  return 'the operating system refused it';
}

export function osDetail(cause: unknown): { os: string } {
  return { os: cause instanceof Error ? cause.message : String(cause) };
}
