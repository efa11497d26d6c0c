/** A card's task in words, or null when the card does not say ("unspecified"). */
export function taskWords(task: string): string | null {
  if (!task || task === 'unspecified') return null;
  return task;
}

/** "1 thread", "4 threads". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
