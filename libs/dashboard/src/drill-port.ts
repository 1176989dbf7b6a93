/**
 * Failure drills against the processes of a local demo: whoever started them implements this
 * (tools/demo). The dashboard shows drill buttons only when it is given one; never in Compose.
 */
export interface DrillPort {
  /** SIGKILL the broker (Kafka, or RabbitMQ when the services use it). */
  killBroker(): Promise<void>;
  startBroker(): Promise<void>;
  /** SIGKILL the process that runs order-service's relay; its supervisor restarts it. */
  killRelay(): Promise<void>;
  /** SIGSTOP a consumer (shipping-service) and SIGCONT it `seconds` later. */
  pauseConsumer(seconds: number): Promise<void>;
}

export const drillNames = ['kill-broker', 'start-broker', 'kill-relay', 'pause-consumer'] as const;
export type DrillName = (typeof drillNames)[number];
