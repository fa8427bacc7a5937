/**
 * Pipeline settings shared by the CDK stack and the local stack, so both behave alike.
 */
export const WORKER_TIMEOUT_SECONDS = 30;

/** The functions behind the HTTP routes (every route answers well inside AT's 10 s). */
export const ROUTE_FUNCTION = { memorySize: 256, timeoutSeconds: 10 } as const;
/** The queue workers (recorder, replier). */
export const WORKER_FUNCTION = { memorySize: 256, timeoutSeconds: WORKER_TIMEOUT_SECONDS } as const;

/** The settings of one work queue (the CDK stack and the local stack both read them). */
export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
}

/** Every work queue: a dead-letter queue after a bounded number of receives, batched consumers. */
const WORK_QUEUE = {
  /** AWS recommends at least six times the consumer's timeout. */
  visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
  /** Receives before a message is moved to the dead-letter queue. */
  maxReceiveCount: 5,
  /** How long a message may wait on the queue (SQS's default, set explicitly). */
  retentionDays: 4,
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

/**
 * Every call to an AWS service (SQS, DynamoDB, Secrets Manager) is bounded: 1 s to connect, 2 s
 * to answer, one retry. With no bound a service that accepts connections but never answers
 * holds a handler until its function times out, and a worker with no log line.
 */
export const AWS_CALL = {
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  maxAttempts: 2,
} as const;

/**
 * One time budget per callback request, from the moment it arrives: Secrets Manager, the menu
 * or rule, and the queue all share it. AT's USSD gateway gives up after 10 s; voice and airtime
 * validation are answered as fast; every route function times out after 10 s.
 */
export const REQUEST_BUDGET_MS = {
  ussd: 6_000,
  voice: 5_000,
  airtime: 5_000,
  twoway: 8_000,
  plain: 8_000,
} as const;

/**
 * The longest a queued message can live: on its queue, then in its dead-letter queue until a
 * redrive. Anything a redriven job relies on (the reply that makes replies at-most-once, the link
 * from AT's message id to it) must outlive it: records may not expire sooner (checked at synth).
 */
export const LONGEST_MESSAGE_LIFE_DAYS = Math.max(
  EVENTS_QUEUE.retentionDays + EVENTS_QUEUE.dlqRetentionDays,
  REPLIES_QUEUE.retentionDays + REPLIES_QUEUE.dlqRetentionDays,
);

/** Links from AT's message ids to replies expire after this (delivery reports come within days). */
export const MESSAGE_LINK_TTL_DAYS = 30;

/**
 * How long AT retries a callback it got no 200 for (incoming SMS: every minute for 12 hours).
 * A repeat of an opt-out received within it of the first is taken as AT's retry, not a new
 * opt-out (functions/record/effects.ts).
 */
export const AT_RETRY_WINDOW_HOURS = 12;

/** Largest callback body accepted; AT's are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * One queue per forwarding endpoint, subscribed to the events topic (docs/forwarding.md). Its
 * forwarder gives up by the age of the first attempt (FORWARD_RETRY), not by a receive count:
 * `maxReceiveCount` is SQS's largest, a backstop for a forwarder that crashes on a message.
 * Retention covers the give-up age plus the longest delay.
 */
export const FORWARD_QUEUE: QueueSettings = {
  ...WORK_QUEUE,
  maxReceiveCount: 1_000,
  retentionDays: 4,
};

/** One delivery attempt: its answer (status and the start of its body) within this time. */
export const FORWARD_ATTEMPT_TIMEOUT_MS = 10_000;

/** A retry schedule: full-jitter exponential backoff, given up by the age of the first attempt. */
export interface ForwardRetryPolicy {
  readonly baseDelaySeconds: number;
  readonly maxDelaySeconds: number;
  /** A failure this long after the first attempt is the last: the event goes to the DLQ. */
  readonly giveUpAfterSeconds: number;
}

/**
 * Retries of a delivery the endpoint answered 408, 409, 429 or 5xx, or did not answer: on AWS
 * for 26 hours (each delay below SQS's 12-hour visibility cap); locally on a short schedule,
 * the first three attempts within 15 s.
 */
export const FORWARD_RETRY = {
  aws: { baseDelaySeconds: 30, maxDelaySeconds: 3_600, giveUpAfterSeconds: 26 * 3_600 },
  local: { baseDelaySeconds: 2, maxDelaySeconds: 10, giveUpAfterSeconds: 3_600 },
} as const satisfies Record<"aws" | "local", ForwardRetryPolicy>;
