/** Writes sql/create-inbox-table.sql from inboxTableDdl(): `node -r @swc-node/register libs/inbox/test/write-sql.ts`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inboxTableSqlScript } from '../src/inbox-table';

writeFileSync(join(__dirname, '../sql/create-inbox-table.sql'), inboxTableSqlScript());
