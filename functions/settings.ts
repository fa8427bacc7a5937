/**
 * Pipeline settings shared by the CDK stack and the local stack, so both behave alike.
 */
export const WORKER_TIMEOUT_SECONDS = 30;

export const EVENTS_QUEUE = {
  /** AWS recommends at least six times the consumer's timeout. */
  visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
  /** Receives before a message is moved to the dead-letter queue. */
  maxReceiveCount: 5,
  dlqRetentionDays: 14,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
} as const;

/** Largest callback body accepted; AT's are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Table design: see README "Records". */
export const TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  byPhone: { indexName: "byPhone", partitionKey: "phonePk", sortKey: "phoneSk" },
  byType: { indexName: "byType", partitionKey: "typePk", sortKey: "typeSk" },
} as const;
