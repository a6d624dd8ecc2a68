import type { WorkflowEvent } from '../services/lifecycle';
import type { Logger } from '../log';

/** Where handlers announce what happened (a request submitted, a decision made) for routing and updates. */
export interface EventSink {
  publish(event: WorkflowEvent): void;
}

export type Subscriber = (event: WorkflowEvent) => void | Promise<void>;

/**
 * Delivers events to subscribers in this process, after the handler's answer. A subscriber's fault is
 * logged and never reaches the person whose action raised the event: the record is already saved.
 */
export class InProcessEvents implements EventSink {
  private readonly subscribers: Subscriber[] = [];

  constructor(private readonly log: Logger) {}

  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.push(subscriber);
    return () => {
      const i = this.subscribers.indexOf(subscriber);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  publish(event: WorkflowEvent): void {
    for (const subscriber of this.subscribers) {
      queueMicrotask(() => {
        Promise.resolve()
          .then(() => subscriber(event))
          .catch((err: unknown) =>
            this.log.error({ err, event: event.type, reference: event.reference }, 'event subscriber failed'),
          );
      });
    }
  }
}
