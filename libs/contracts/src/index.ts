export * from './envelope/event-envelope';
export * from './envelope/event-contract';
export * from './topics';
export * from './orders/order-placed.v1';
export * from './event-registry';
export * from './fixtures';
