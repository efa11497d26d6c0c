/**
 * What is wrong with a file that JSON.parse refused, in words for the person who gave it, instead
 * of the parser's own message ("Unexpected token '}', ... is not valid JSON"), which is kept in the
 * error's details for whoever needs it.
 */
export function jsonProblem(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/Unexpected end of JSON input/i.test(message)) return 'it ends before the JSON is complete';
  const at = /at position (\d+)/.exec(message);
  if (at) return `it stops being valid JSON at character ${Number(at[1]) + 1}`;
  const token = /Unexpected token '(.)'/.exec(message);
  if (token) return `it has "${token[1]}" where JSON does not allow it`;
  return 'it is not valid JSON text';
}

export function parserDetail(cause: unknown): { parser: string } {
  return { parser: cause instanceof Error ? cause.message : String(cause) };
}
