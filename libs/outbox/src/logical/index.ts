export { OutboxLogicalRelay } from './logical-relay';
export type { OutboxLogicalRelayOptions } from './logical-relay';
export { dropSlot, ensureSlot, slotState } from './replication-slot';
export type { SlotState } from './replication-slot';
