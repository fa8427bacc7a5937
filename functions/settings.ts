/**
 * Pipeline settings shared by the CDK stack and the local stack, so both behave alike.
 */
export const WORKER_TIMEOUT_SECONDS = 30;

/** Every work queue: a dead-letter queue after a bounded number of receives, batched consumers. */
const WORK_QUEUE = {
  /** AWS recommends at least six times the consumer's timeout. */
  visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
  /** Receives before a message is moved to the dead-letter queue. */
  maxReceiveCount: 5,
  dlqRetentionDays: 14,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
} as const;

/** One envelope per accepted callback, consumed by the recorder. */
export const EVENTS_QUEUE = WORK_QUEUE;

/**
 * One job per incoming two-way SMS, consumed by the reply worker (docs/replies.md); a job that
 * fails `maxReceiveCount` times (AT down, bad credentials) lands in its dead-letter queue.
 */
export const REPLIES_QUEUE = WORK_QUEUE;

/** Every work queue by name (the route table's `QueueName`). */
export const QUEUES = { events: EVENTS_QUEUE, replies: REPLIES_QUEUE } as const;

/** Backoff between reply attempts after a retryable AT failure (set with ChangeMessageVisibility). */
export const REPLY_RETRY = { baseDelaySeconds: 20, maxDelaySeconds: 300 } as const;

/**
 * Bounds on one call to AT's SMS API (the SDK sets none). A connect that has not completed
 * (TCP + TLS) within `connectTimeoutMs` never reached AT and is retried; a request that got no
 * answer within `timeoutMs` may have been sent, so its reply is marked unknown (docs/replies.md).
 */
export const AT_REQUEST = { timeoutMs: 5_000, connectTimeoutMs: 3_000 } as const;

/** Largest callback body accepted; AT's are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;
