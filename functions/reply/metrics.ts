import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** CloudWatch namespace of the reply metrics; the stack's alarms and dashboard read them. */
export const METRIC_NAMESPACE = "AtCallbacks";
/** The `service` dimension of every metric. */
export const METRIC_SERVICE = "at-callbacks";

/** A count for the alarm metrics (ReplyDeps.metric). */
export type CountMetric = (
  name: string,
  fields: Record<string, unknown>,
  dimensions?: Readonly<Record<string, string>>,
) => void;

/**
 * Counts through Powertools Metrics, as Embedded Metric Format lines that Lambda's log pipeline
 * turns into metrics in namespace `AtCallbacks`, dimensions `service` and `stage` (the stack
 * sets `STAGE`, so two stages in one account never share a metric nor trigger each other's
 * alarms; locally it is `local`).
 *
 * Each count is a line of its own, at once (the jobs of a batch run side by side): metric
 * `name` by `service` and `stage`, and, when `dimensions` are given, a second series that also
 * carries them (e.g. the AT status of a refused reply). `fields` ride along as searchable
 * metadata (ids, causes: never phone numbers).
 */
export function countMetrics(stage: string): CountMetric {
  const metrics = new Metrics({
    namespace: METRIC_NAMESPACE,
    serviceName: METRIC_SERVICE,
    defaultDimensions: { stage },
  });
  return (name, fields, dimensions = {}) => {
    const single = metrics.singleMetric();
    if (Object.keys(dimensions).length > 0) {
      // Two dimension sets: the total the alarms read, and the series by the extra dimensions.
      single.addDimensions({});
      single.addDimensions({ ...dimensions });
    }
    for (const [key, value] of Object.entries(fields)) single.addMetadata(key, String(value));
    single.addMetric(name, MetricUnit.Count, 1);
  };
}
