/** CloudWatch namespace of the reply metrics. The infra alarm watches `ReplyUnknown` (Sum ≥ 1). */
export const METRIC_NAMESPACE = "AtCallbacks";

/**
 * Emits a count of 1 as a CloudWatch Embedded Metric Format line on stdout: Lambda's log
 * pipeline turns it into metric `name` in namespace `AtCallbacks`, dimension `service`.
 * Extra fields ride along as searchable properties (never phone numbers).
 */
export function emfCount(
  name: string,
  fields: Record<string, unknown>,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): void {
  write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [["service"]],
            Metrics: [{ Name: name, Unit: "Count" }],
          },
        ],
      },
      service: "at-callbacks",
      ...fields,
      [name]: 1,
    }),
  );
}
