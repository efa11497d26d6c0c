import { BIDI_CONTROLS, escapeUnsafe, LINE_SEPARATORS } from '../contract/text.js';

/**
 * Everything the CLI prints passes through here (runtime/cli/main.ts), so text from a bundle, a
 * medium, a signed document or the audit log never reaches a terminal raw: a card, a file name or
 * an error message cannot move the cursor, recolour or conceal a line, retitle the window, or
 * reorder what is shown. The set is contract/text.ts's.
 */

/**
 * Text output: C0 controls (except tab and line feed, which are the output's own layout), DEL,
 * C1 controls, bidirectional controls and line separators become visible `\uXXXX` escapes.
 */
export function escapeForTerminal(text: string): string {
  return escapeUnsafe(text, 'text');
}

// JSON.stringify escapes C0 (and '"', '\'); DEL, C1, the bidi controls and U+2028/2029 it leaves
// raw. In UTF-8 U+009B is C2 9B, which a terminal honouring 8-bit controls reads as CSI.
const RAW_IN_JSON = new RegExp(`[\\u007f-\\u009f${BIDI_CONTROLS}${LINE_SEPARATORS}]`, 'gu');

/**
 * JSON output: the same characters as `\uXXXX` escapes, which JSON reads back as the same
 * string (they can only occur inside strings: JSON's own syntax is ASCII).
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
