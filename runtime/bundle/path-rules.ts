import { escapeUnsafe, UNSAFE_IN_NAME } from '../contract/text.js';
import { AirlockError } from '../errors.js';
import type { BundleLimits } from './limits.js';

/**
 * Entry names inside a bundle: relative, forward slashes, no "." or ".." segments, no empty
 * segments, no drive letters or backslashes, printable characters only: no C0 or C1 control
 * characters, no DEL, no bidirectional controls, no line separators (contract/text.ts), which
 * would make a name shown to people read as another.
 */
export function checkEntryName(name: string, limits: BundleLimits): void {
  // Shown escaped: the refusal message itself never carries the characters it refuses.
  const shown = `"${escapeUnsafe(name.slice(0, 120)).replace(/"/g, '\\"')}"`;
  if (name.length === 0 || name.length > limits.maxPathLength) {
    throw new AirlockError(
      'TAR_UNSAFE_PATH',
      `The bundle has an entry whose name is empty or longer than ${limits.maxPathLength} characters (${shown}). The bundle is refused; ask the publisher for a proper one.`,
    );
  }
  if (UNSAFE_IN_NAME.test(name) || name.includes('\\')) {
    throw new AirlockError(
      'TAR_UNSAFE_PATH',
      `The bundle has an entry name with control characters, bidirectional controls or backslashes (${shown}). The bundle is refused.`,
      { details: { entry: escapeUnsafe(name) } },
    );
  }
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw new AirlockError(
      'TAR_UNSAFE_PATH',
      `The bundle has an entry with an absolute path (${shown}); it could write outside the store. The bundle is refused; do not import it.`,
      { details: { entry: name } },
    );
  }
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) {
    throw new AirlockError(
      'TAR_UNSAFE_PATH',
      `The bundle has an entry that climbs out of its folder with ".." (${shown}). This is a path-traversal attack or a broken bundle; it is refused.`,
      { details: { entry: name } },
    );
  }
  if (segments.some((s) => s === '' || s === '.')) {
    throw new AirlockError(
      'TAR_UNSAFE_PATH',
      `The bundle has an entry with an empty or "." path segment (${shown}). The bundle is refused.`,
      { details: { entry: name } },
    );
  }
}
