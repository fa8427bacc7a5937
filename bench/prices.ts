/**
 * AWS list prices the cost section uses: us-east-1, on-demand, no free tier, as published on
 * each service's pricing page on 2026-12-06 (DynamoDB's on-demand prices are those of the
 * 50% reduction of 1 November 2024). Per unit, in US dollars.
 */
export const PRICES = {
  source:
    "aws.amazon.com/{api-gateway,lambda,sqs,sns,dynamodb,cloudwatch}/pricing, us-east-1, read 2026-12-06",
  /** API Gateway HTTP API: $1.00 per million requests (first 300 million a month). */
  httpApiRequest: 1.0 / 1e6,
  /** Lambda, arm64: $0.20 per million requests, $0.0000133334 per GB-second. */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  /** SQS standard queue: $0.40 per million requests (each 64 KB chunk of a payload is one). */
  sqsRequest: 0.4 / 1e6,
  /**
   * SNS standard topic: $0.50 per million publish requests (each 64 KB chunk is one; a
   * PublishBatch of up to 10 messages is one request). Deliveries to SQS cost nothing.
   */
  snsRequest: 0.5 / 1e6,
  /** DynamoDB on-demand, standard table class: $0.625 per million WRU, $0.125 per million RRU. */
  dynamoWru: 0.625 / 1e6,
  dynamoRru: 0.125 / 1e6,
  /** DynamoDB storage, standard table class: $0.25 per GB-month (the first 25 GB are free). */
  dynamoGbMonth: 0.25,
  /** CloudWatch Logs, standard class: $0.50 per GB ingested. */
  logsGb: 0.5,
} as const;

export const GB = 1024 ** 3;
