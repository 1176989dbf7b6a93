/** Rewrites libs/contracts/asyncapi.json from the zod schemas (`npm run contracts:generate`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAsyncApi } from '@shop/contracts';

const target = join(__dirname, '../../libs/contracts/asyncapi.json');
writeFileSync(target, JSON.stringify(buildAsyncApi(), null, 2) + '\n');
console.log(`wrote ${target}`);
