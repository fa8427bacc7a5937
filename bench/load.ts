import { Agent, request } from "node:http";

export interface LoadOptions {
  /** Where request `i` goes (an http:// URL). */
  url: (i: number) => string;
  /** The form-encoded body of request `i`. */
  body: (i: number) => string;
  /** Requests in flight at once, each on its own kept-alive connection. */
  concurrency: number;
  total: number;
  /** Checked before each request: true stops sending. */
  stop?: () => boolean;
  onResponse?: (i: number, status: number | "error", body: string) => void;
}

export interface LoadResult {
  sent: number;
  /** Count per HTTP status, and `error` for connections that failed. */
  statuses: Record<string, number>;
  /** Milliseconds per answered request, sorted. */
  latencies: number[];
  ms: number;
}

/** Posts `total` requests with `concurrency` in flight, the way AT's callbacks arrive. */
export async function postLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  const count = (status: number | "error") => {
    statuses[status] = (statuses[status] ?? 0) + 1;
  };
  const one = async (i: number) => {
    const answer = await postForm(agent, options.url(i), options.body(i));
    if (answer.status !== "error") latencies.push(answer.ms);
    count(answer.status);
    options.onResponse?.(i, answer.status, answer.body);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.total && !options.stop?.()) await one(next++);
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return { sent: next, statuses, latencies: latencies.sort((a, b) => a - b), ms };
}

/** The value below which `p` (0..1) of the sorted values lie. */
export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

/** One form POST on `agent`'s kept-alive connections: its status (or `error`), body and time. */
export function postForm(
  agent: Agent,
  url: string,
  body: string,
): Promise<{ status: number | "error"; body: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const failed = () => resolve({ status: "error", body: "", ms: performance.now() - started });
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on("error", failed);
      },
    );
    req.on("error", failed);
    req.end(body);
  });
}
