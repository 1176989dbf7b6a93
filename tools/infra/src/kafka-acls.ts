import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Admin,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { kafkaClient, ROOT_DIR } from './settings';

export interface AclGrant {
  user: string;
  operation: keyof typeof AclOperationTypes;
  resource: 'topic' | 'group';
  name: string;
  pattern: 'literal' | 'prefixed';
}

export const aclsFile = join(ROOT_DIR, 'infra', 'kafka', 'acls.txt');

/** infra/kafka/acls.txt: one grant per line, `#` comments; Compose's kafka-init reads it too. */
export function readAcls(text = readFileSync(aclsFile, 'utf8')): AclGrant[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const [user, operation, resource, name, pattern, extra] = line.split(/\s+/);
      if (
        !user ||
        !name ||
        extra !== undefined ||
        !(operation in AclOperationTypes) ||
        (resource !== 'topic' && resource !== 'group') ||
        (pattern !== 'literal' && pattern !== 'prefixed')
      )
        throw new Error(`acls.txt: cannot read "${line}"`);
      return { user, operation, resource, name, pattern } as AclGrant;
    });
}

const aclOf = (g: AclGrant) => ({
  principal: `User:${g.user}`,
  host: '*',
  operation: AclOperationTypes[g.operation],
  permissionType: AclPermissionTypes.ALLOW,
  resourceType: g.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
  resourceName: g.name,
  resourcePatternType: g.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
});

/** Creates the grants; creating one that exists is a no-op. */
async function ensureAcls(admin: Admin, grants: AclGrant[]): Promise<void> {
  await admin.createAcls({ acl: grants.map(aclOf) });
}

type Acl = ReturnType<typeof aclOf>;
const keyOf = (a: Acl) =>
  [a.principal, a.host, a.operation, a.permissionType, a.resourceType, a.resourceName, a.resourcePatternType].join(' ');

/**
 * Makes the broker's ACLs for the users in acls.txt what the file says: grants it lacks are
 * created, grants it no longer has (a line removed, a test's own) are deleted. Returns how
 * many were deleted; every `infra:up` runs it.
 */
export async function applyAclPolicy(admin: Admin, grants = readAcls()): Promise<number> {
  await ensureAcls(admin, grants);
  const wanted = new Set(grants.map((g) => keyOf(aclOf(g))));
  const users = new Set(grants.map((g) => `User:${g.user}`));
  const { resources } = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const stale = resources.flatMap(({ acls, ...resource }) =>
    acls.map((acl) => ({ ...acl, ...resource })).filter((a) => users.has(a.principal) && !wanted.has(keyOf(a))),
  );
  if (stale.length > 0) await admin.deleteAcls({ filters: stale });
  return stale.length;
}

/** Grants (or, with `revoke`, removes) what a test needs beyond acls.txt, e.g. a topic of its own. */
export async function grantAcls(grants: AclGrant[], revoke = false): Promise<void> {
  const admin = new Kafka({ clientId: 'infra-acls', ...kafkaClient(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (revoke) await admin.deleteAcls({ filters: grants.map(aclOf) });
    else await ensureAcls(admin, grants);
  } finally {
    await admin.disconnect();
  }
}
