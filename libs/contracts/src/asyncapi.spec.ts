import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAsyncApi, envelopeSchemaOf, eventContracts, fixtures } from './index';

describe('AsyncAPI document', () => {
  it('matches the checked-in asyncapi.json (run `npm run contracts:generate` after changing a contract)', () => {
    const checkedIn = JSON.parse(readFileSync(join(__dirname, '../asyncapi.json'), 'utf8'));
    expect(checkedIn).toEqual(JSON.parse(JSON.stringify(buildAsyncApi())));
  });

  it('describes every contract, and every golden fixture satisfies its schema', () => {
    const doc = buildAsyncApi();
    expect(Object.keys(doc.components.messages).sort()).toEqual([...eventContracts.keys()].sort());
    for (const fixture of Object.values(fixtures)) {
      expect(envelopeSchemaOf(fixture.type).safeParse(fixture).success).toBe(true);
    }
  });
});
