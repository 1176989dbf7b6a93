import { findDuplicateKey } from './duplicate-key';

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"b":2}', undefined],
    ['{"a":{"a":1},"b":[{"a":1},{"a":2}]}', undefined],
    ['[{},"a",{"a":1},"a"]', undefined],
    ['{"s":"\\"a\\":1,\\"a\\":2,{[","a":1}', undefined],
    ['"a"', undefined],
    ['{"a":1,"a":2}', 'a'],
    ['{"":1,"":2}', ''],
    ['{"a":1, "\\u0061" :2}', 'a'],
    ['{"items":[{"sku":"x"},{"sku":"y","n":1,"sku":"z"}]}', 'items.1.sku'],
    ['{"x":{"__proto__":1,"__proto__":2}}', 'x.__proto__'],
    ['{"a":[[],[{}],{"b":{},"b":1}]}', 'a.2.b'],
  ])('in %s finds %s', (json, path) => {
    expect(() => JSON.parse(json)).not.toThrow();
    expect(findDuplicateKey(json)).toBe(path);
  });
});
