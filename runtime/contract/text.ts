/**
 * Characters that change how text is shown instead of what it says. Names and fields that reach
 * people (payload names, card fields, OS user names) refuse them; the CLI escapes them in what it
 * prints (runtime/cli/escape.ts). One list, used by every layer.
 *
 * - C0 controls U+0000-U+001F and DEL U+007F: ESC starts terminal escape sequences, CR and BS
 *   overwrite what was printed, LF forges lines.
 * - C1 controls U+0080-U+009F: U+009B is CSI and U+009D OSC on terminals that honour 8-bit
 *   controls; U+0085 is a line break (NEL).
 * - Bidirectional controls U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069: they reorder
 *   the text around them ("Trojan Source"), so a name can read as something it is not.
 * - Line and paragraph separators U+2028, U+2029: line breaks to many renderers.
 */
export const CONTROL_CHARACTERS = '\\u0000-\\u001f\\u007f-\\u009f';
export const BIDI_CONTROLS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
export const LINE_SEPARATORS = '\\u2028\\u2029';

/** Any character a one-line name shown to people must not hold. */
export const UNSAFE_IN_NAME = new RegExp(`[${CONTROL_CHARACTERS}${BIDI_CONTROLS}${LINE_SEPARATORS}]`, 'u');

/** The same for free text (a card's description): tabs and line feeds are text there. */
export const UNSAFE_IN_TEXT = new RegExp(
  `[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}${LINE_SEPARATORS}]`,
  'u',
);

/** Matches a string free of UNSAFE_IN_NAME (for zod's `.regex`). */
export const SAFE_NAME = new RegExp(`^[^${CONTROL_CHARACTERS}${BIDI_CONTROLS}${LINE_SEPARATORS}]*$`, 'u');
/** Matches a string free of UNSAFE_IN_TEXT. */
export const SAFE_TEXT = new RegExp(
  `^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}${LINE_SEPARATORS}]*$`,
  'u',
);

/** The characters of UNSAFE_IN_NAME, every occurrence (for escaping). */
export const UNSAFE_IN_NAME_GLOBAL = new RegExp(UNSAFE_IN_NAME.source, 'gu');

export const NO_CONTROL_MESSAGE =
  'no control characters (C0, DEL, C1), bidirectional controls or line separators';

const UNSAFE_IN_TEXT_GLOBAL = new RegExp(UNSAFE_IN_TEXT.source, 'gu');

/**
 * `text` with each character of UNSAFE_IN_NAME (or, for `kind: 'text'`, of UNSAFE_IN_TEXT, which
 * keeps tabs and line feeds) written as a visible `\uXXXX` escape, so it can be shown safely.
 */
export function escapeUnsafe(text: string, kind: 'name' | 'text' = 'name'): string {
  return text.replace(
    kind === 'name' ? UNSAFE_IN_NAME_GLOBAL : UNSAFE_IN_TEXT_GLOBAL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
