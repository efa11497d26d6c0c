import { describe, expect, it } from 'vitest';
import { jsonProblem, parserDetail } from './json-problem.js';

const failure = (text: string): unknown => {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error(`${text} parsed`);
};

describe('jsonProblem: the parser refusal in words', () => {
  it.each([
    ['{"x": [1, 2', /stops being valid JSON at character 12/],
    ['', /ends before the JSON is complete/],
    ['{"x": }', /has "}" where JSON does not allow it/],
    ['hello', /has "h" where JSON does not allow it/],
  ])('%s', (text, words) => {
    const cause = failure(text);
    const said = jsonProblem(cause);
    expect(said).toMatch(words);
    expect(said).not.toMatch(/Unexpected|token/);
    expect(parserDetail(cause).parser).toBe((cause as Error).message);
  });
});
