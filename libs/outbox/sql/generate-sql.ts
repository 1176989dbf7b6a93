/** Writes create-outbox-table.sql from the migration's DDL: `node -r @swc-node/register libs/outbox/sql/generate-sql.ts`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOutboxTableSqlFile } from '../src/migration/create-outbox-table';

writeFileSync(join(__dirname, 'create-outbox-table.sql'), createOutboxTableSqlFile());
