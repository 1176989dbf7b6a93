/**
 * The path (`items.0.sku`) of the first key that appears twice in one object of a JSON
 * text, or undefined. Call it on text that JSON.parse accepted: it reads only the structure.
 * JSON.parse keeps the last value of such a key, other parsers the first, so a body that
 * says two things must not be taken to mean one of them.
 */
export function findDuplicateKey(json: string): string | undefined {
  const keysSeen: (Set<string> | undefined)[] = []; // per open container; undefined for an array
  const path: (string | number)[] = []; // the current key or index per open container
  let atKey = false;
  for (let i = 0; i < json.length; i++) {
    switch (json[i]) {
      case '{':
        keysSeen.push(new Set());
        path.push('');
        atKey = true;
        break;
      case '[':
        keysSeen.push(undefined);
        path.push(0);
        atKey = false;
        break;
      case '}':
      case ']':
        keysSeen.pop();
        path.pop();
        atKey = false;
        break;
      case ',': {
        const keys = keysSeen[keysSeen.length - 1];
        if (keys) atKey = true;
        else path[path.length - 1] = (path[path.length - 1] as number) + 1;
        break;
      }
      case '"': {
        const end = closingQuote(json, i);
        if (atKey) {
          const key = JSON.parse(json.slice(i, end + 1)) as string;
          const keys = keysSeen[keysSeen.length - 1] as Set<string>;
          path[path.length - 1] = key;
          if (keys.has(key)) return path.join('.');
          keys.add(key);
          atKey = false;
        }
        i = end;
        break;
      }
    }
  }
  return undefined;
}

function closingQuote(json: string, start: number): number {
  let i = start + 1;
  while (json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
  return i;
}
