/** CloudWatch namespace of the reply metrics; the stack's alarms and dashboard read them. */
export const METRIC_NAMESPACE = "AtCallbacks";
/** The `service` dimension of every metric. */
export const METRIC_SERVICE = "at-callbacks";

/**
 * Emits a count of 1 as a CloudWatch Embedded Metric Format line on stdout: Lambda's log
 * pipeline turns it into metric `name` in namespace `AtCallbacks`, dimensions `service` and
 * `stage`, and, when `dimensions` are given, a second series that also carries them (e.g. the
 * AT status of a rejected reply). Extra fields ride along as searchable properties (never
 * phone numbers).
 */
export function emfCount(
  name: string,
  fields: Record<string, unknown>,
  dimensions: Readonly<Record<string, string>> = {},
  /**
   * The `stage` dimension: the stack sets `STAGE`, so two stages in one account never share a
   * metric (nor trigger each other's alarms); locally it is `local`.
   */
  stage = "local",
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): void {
  const base = ["service", "stage"];
  const extra = Object.keys(dimensions);
  write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: extra.length > 0 ? [base, [...base, ...extra]] : [base],
            Metrics: [{ Name: name, Unit: "Count" }],
          },
        ],
      },
      ...fields,
      service: METRIC_SERVICE,
      stage,
      ...dimensions,
      [name]: 1,
    }),
  );
}
