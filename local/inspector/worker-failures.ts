import { BasePartialBatchProcessor } from "@aws-lambda-powertools/batch";

/** One message a queue worker failed on, with the error it threw (the inspector shows it). */
export interface WorkerFailure {
  /** The queue's name, from the event source ARN. */
  queue: string;
  messageId: string;
  body: string;
  receiveCount: number;
  error: { name: string; message: string; stack?: string };
}

const listeners = new Set<(failure: WorkerFailure) => void>();
let installed = false;

/**
 * Tells `listener` of every message a worker fails on, locally. On Lambda the error is only in
 * the logs; here the workers' batch processor (Powertools, the same one the deployed workers
 * use) is observed where it records a failure, so the inspector can show the error and its
 * stack on the request's row. The failure is still reported to the processor unchanged.
 */
export function onWorkerFailure(listener: (failure: WorkerFailure) => void): () => void {
  if (!installed) {
    installed = true;
    const proto = BasePartialBatchProcessor.prototype;
    const original = proto.failureHandler;
    proto.failureHandler = function (this: BasePartialBatchProcessor, record, error) {
      try {
        const failure = describe(record, error);
        if (failure) for (const l of listeners) l(failure);
      } catch {
        // Observing must never change what the worker reports.
      }
      return original.call(this, record, error);
    };
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function describe(record: unknown, error: Error): WorkerFailure | undefined {
  if (typeof record !== "object" || record === null || !("messageId" in record)) return undefined;
  const r = record as {
    messageId: string;
    body?: string;
    eventSourceARN?: string;
    attributes?: { ApproximateReceiveCount?: string };
  };
  return {
    queue: r.eventSourceARN?.split(":").at(-1) ?? "",
    messageId: r.messageId,
    body: r.body ?? "",
    receiveCount: Number(r.attributes?.ApproximateReceiveCount ?? 1),
    error: {
      name: error?.name ?? "Error",
      message: error?.message ?? String(error),
      ...(error?.stack ? { stack: error.stack } : {}),
    },
  };
}
