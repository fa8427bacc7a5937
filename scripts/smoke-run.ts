import { ROUTES, type Route } from "../functions/routes";
import type { RecordItem } from "../functions/table/records";
import { answerLooksRight, smokeCallback } from "./smoke-callbacks";

export interface SmokeTarget {
  /** `ApiEndpoint` output, or the local stack's URL. */
  apiEndpoint: string;
  key: string;
  /** Records under an AT id (queryRecords on the stage's table). */
  records: (atId: string) => Promise<RecordItem[]>;
}

export interface SmokeResult {
  route: Route;
  atId: string;
  status: number;
  answer: string;
  answerOk: boolean;
  recorded: boolean;
}

/**
 * Posts one smoke callback per route, checks each answer is AT's format, then waits (up to
 * `timeoutMs`) for each callback's record: the whole path, API to table, for every route.
 */
export async function runSmoke(
  target: SmokeTarget,
  options: { routes?: readonly Route[]; run?: string; timeoutMs?: number; pollMs?: number } = {},
): Promise<SmokeResult[]> {
  const routes = options.routes ?? ROUTES;
  const run = options.run ?? new Date().toISOString().replace(/[-:.]/g, "").slice(0, 15);
  const posted: Omit<SmokeResult, "recorded">[] = [];
  for (const route of routes) {
    const callback = smokeCallback(route, run);
    const url = `${target.apiEndpoint.replace(/\/$/, "")}${route.path}?key=${encodeURIComponent(target.key)}`;
    const response = await fetch(url, {
      method: route.method,
      headers: { "content-type": callback.contentType },
      body: callback.body,
      signal: AbortSignal.timeout(15_000),
    });
    const answer = await response.text();
    posted.push({
      route,
      atId: callback.atId,
      status: response.status,
      answer,
      answerOk: answerLooksRight(route, response.status, answer),
    });
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const pending = new Set(posted.map((p) => p.atId));
  const recorded = new Set<string>();
  while (pending.size > 0 && Date.now() < deadline) {
    for (const p of posted.filter((x) => pending.has(x.atId))) {
      const found = await target.records(p.atId);
      if (found.some((r) => r.type === p.route.recordType)) {
        pending.delete(p.atId);
        recorded.add(p.atId);
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, options.pollMs ?? 1_000));
  }
  return posted.map((p) => ({ ...p, recorded: recorded.has(p.atId) }));
}
