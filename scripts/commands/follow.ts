import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { queryRecords, type RecordFilter } from "../../functions/table/record-store";
import type { RecordItem } from "../../functions/table/records";

/** How far back each poll looks, so a record written late (a slow or retried worker) still shows. */
const LOOK_BACK_MS = 5 * 60_000;

/**
 * Prints records as they are written, oldest first, until `signal` aborts: polls the same
 * queries as `npm run records` for the last few minutes and prints each record once.
 */
export async function followRecords(
  client: DynamoDBDocumentClient,
  tableName: string,
  filter: Omit<RecordFilter, "since" | "limit">,
  print: (record: RecordItem) => void,
  options: { signal: AbortSignal; intervalMs?: number; since?: Date },
): Promise<void> {
  const seen = new Set<string>();
  // Records received before the follow started are the listing's business, not the tail's.
  const startedAt = (options.since ?? new Date()).getTime();
  let polledAt = startedAt;
  while (!options.signal.aborted) {
    const since = new Date(Math.max(startedAt, polledAt - LOOK_BACK_MS)).toISOString();
    polledAt = Date.now();
    const found = await queryRecords(client, tableName, { ...filter, since, limit: 1000 });
    for (const record of found.filter((r) => !seen.has(`${r.pk}|${r.sk}`)).reverse()) {
      seen.add(`${record.pk}|${record.sk}`);
      print(record);
    }
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs ?? 1000);
      options.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}
