import { describe, expect, it } from 'vitest';
import type { ElementType, TensorSpec } from '../contract/card.js';
import type { TensorJson } from '../contract/tensors.js';
import { float16Bits, toFeeds } from './tensors.js';

const feed = (type: ElementType, data: TensorJson['data']) => {
  const spec: TensorSpec = { name: 'x', type, shape: ['n'] };
  const length = ArrayBuffer.isView(data) ? data.length : data.length;
  return toFeeds([spec], { x: { type, dims: [length], data } })['x']!;
};

describe('toFeeds: every JSON value range-checked against its element type (issue 10, item 7)', () => {
  // [type, data, index of the first bad value, what the message says]
  const bad: [ElementType, (number | string | boolean)[], number, RegExp][] = [
    ['int64', [1, '9223372036854775808'], 1, /out of range for int64/],
    ['int64', ['-9223372036854775809'], 0, /out of range for int64/],
    ['int64', [9223372036854775808], 0, /beyond the integers a JSON number holds exactly.*decimal string/],
    ['int64', [1e300], 0, /beyond the integers a JSON number holds exactly/],
    ['int64', [2 ** 53], 0, /beyond the integers a JSON number holds exactly/],
    ['int64', [1.5], 0, /not a whole number/],
    ['int64', ['12abc'], 0, /not an integer/],
    ['int64', ['1'.repeat(41)], 0, /not an integer/],
    ['uint64', [-1], 0, /out of range for uint64/],
    ['uint64', ['18446744073709551616'], 0, /out of range for uint64/],
    ['uint8', [0, 255, 300], 2, /value 2 \(300\) is out of range for uint8 \[0, 255\]/],
    ['uint8', [-1], 0, /out of range for uint8/],
    ['uint8', [2.5], 0, /not a whole number/],
    ['int8', [128], 0, /out of range for int8/],
    ['int16', [-32769], 0, /out of range for int16/],
    ['uint16', [65536], 0, /out of range for uint16/],
    ['int32', [2147483648], 0, /out of range for int32/],
    ['int32', [0.1], 0, /not a whole number/],
    ['uint32', [4294967296], 0, /out of range for uint32/],
    ['bool', [true, 2], 1, /out of range for bool \[0, 1\]/],
    ['bool', [0.5], 0, /not true, false, 0 or 1/],
    ['float32', [1e39], 0, /beyond the largest float32/],
    ['float16', [65536], 0, /beyond the largest float16 \(65504\)/],
    ['float16', ['1'], 0, /not a number/],
  ];
  for (const [type, data, index, message] of bad) {
    it(`${type} ${JSON.stringify(data)} → INPUT_INVALID naming value ${index}`, () => {
      let error: unknown;
      try {
        feed(type, data);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({
        code: 'INPUT_INVALID',
        message: expect.stringMatching(message),
        details: { input: 'x', type, index },
      });
      expect((error as Error).message).toContain(`value ${index} (`);
    });
  }

  it('accepts the edges of every range exactly', () => {
    expect(Array.from(feed('uint8', [0, 255]).data as Uint8Array)).toEqual([0, 255]);
    expect(Array.from(feed('int8', [-128, 127]).data as Int8Array)).toEqual([-128, 127]);
    expect(Array.from(feed('int32', [-2147483648, 2147483647]).data as Int32Array)).toEqual([
      -2147483648, 2147483647,
    ]);
    expect(Array.from(feed('uint32', [4294967295]).data as Uint32Array)).toEqual([4294967295]);
    expect(
      Array.from(
        feed('int64', ['-9223372036854775808', '9223372036854775807', 9007199254740991])
          .data as BigInt64Array,
      ),
    ).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 9007199254740991n]);
    expect(Array.from(feed('uint64', ['18446744073709551615']).data as BigUint64Array)).toEqual([
      2n ** 64n - 1n,
    ]);
    expect(Array.from(feed('bool', [true, false, 0, 1]).data as Uint8Array)).toEqual([1, 0, 0, 1]);
    expect(Array.from(feed('float32', [3.4028234663852886e38, -1.5]).data as Float32Array)).toEqual([
      3.4028234663852886e38, -1.5,
    ]);
  });

  it('float16 JSON numbers become IEEE half bits (they were stored as integers: 1.0 became 0x0001)', () => {
    expect(
      Array.from(feed('float16', [1, -2, 0.5, 65504, 0, 0.1, 2 ** -24, 2 ** -14]).data as Uint16Array),
    ).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0000, 0x2e66, 0x0001, 0x0400]);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(float16Bits(NaN)).toBe(0x7e00);
    expect(float16Bits(Infinity)).toBe(0x7c00);
    // Ties go to even: 1 + 2^-11 lies half-way between 1 and the next half (1 + 2^-10).
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('typed arrays passed in-process are used as they are, but only of the declared type', () => {
    const u8 = Uint8Array.from([1, 2, 3]);
    expect(feed('uint8', u8).data).toBe(u8);
    const cases: [ElementType, TensorJson['data']][] = [
      ['uint8', Int8Array.from([1])],
      ['int64', Int32Array.from([1])],
      ['float32', Float64Array.from([1])],
      ['float16', Float32Array.from([1])],
      ['bool', Uint16Array.from([1])],
      ['uint64', BigInt64Array.from([1n])],
    ];
    for (const [type, data] of cases)
      expect(() => feed(type, data)).toThrow(expect.objectContaining({ code: 'INPUT_TYPE_MISMATCH' }));
  });
});

describe('toFeeds: shapes in messages are for people', () => {
  it("exporters' generated dimension names read as ?, a publisher's word stays", () => {
    const spec: TensorSpec = {
      name: 'x',
      type: 'float32',
      shape: ['p2o.DynamicDimension.0', 3, 'unk__12', 'width'],
    };
    expect(() => toFeeds([spec], { pixels: { type: 'float32', dims: [1], data: [0] } })).toThrow(
      /"x" float32\[\?, 3, \?, width\]; given "pixels"/,
    );
  });
});
