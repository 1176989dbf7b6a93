export { OutboxLogicalRelay } from './logical-relay';
export type { OutboxLogicalRelayOptions } from './logical-relay';
export { dropSlot, ensureSlot, replicationSlots, slotState } from './replication-slot';
export type { ReplicationSlotStats } from './replication-slot';
