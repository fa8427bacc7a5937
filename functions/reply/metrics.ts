import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** CloudWatch namespace of the reply metrics; the stack's alarms and dashboard read them. */
export const METRIC_NAMESPACE = "AtCallbacks";
/** The `service` dimension of every metric. */
export const METRIC_SERVICE = "at-callbacks";

/**
 * The `stage` dimension: the stack sets `STAGE`, so two stages in one account never share a
 * metric (nor trigger each other's alarms); locally it is `local`.
 */
export const metricStage = (env: Record<string, string | undefined> = process.env) =>
  env.STAGE || "local";

/**
 * Powertools Metrics, written as Embedded Metric Format lines that Lambda's log pipeline turns
 * into metrics in namespace `AtCallbacks` with dimensions `service` and `stage`.
 */
export const replyMetrics = (stage: string = metricStage()) =>
  new Metrics({
    namespace: METRIC_NAMESPACE,
    serviceName: METRIC_SERVICE,
    defaultDimensions: { stage },
  });

/**
 * Emits a count of 1 at once (the jobs of a batch run side by side, so each metric is its own
 * line): metric `name` by `service` and `stage`, and, when `dimensions` are given, a second
 * series that also carries them (e.g. the AT status of a refused reply). `fields` ride along
 * as searchable metadata (ids, causes: never phone numbers).
 */
export function countMetric(
  name: string,
  fields: Record<string, unknown>,
  dimensions: Readonly<Record<string, string>> = {},
  metrics: Metrics = defaultMetrics(),
): void {
  const single = metrics.singleMetric();
  if (Object.keys(dimensions).length > 0) {
    // Two dimension sets: the total the alarms read, and the series by the extra dimensions.
    single.addDimensions({});
    single.addDimensions({ ...dimensions });
  }
  for (const [key, value] of Object.entries(fields)) single.addMetadata(key, String(value));
  single.addMetric(name, MetricUnit.Count, 1);
}

let metrics: Metrics | undefined;
const defaultMetrics = () => {
  metrics ??= replyMetrics();
  return metrics;
};
