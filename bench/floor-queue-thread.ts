/** fauxqs alone on a thread, for bench/floor-server.ts. */
import { parentPort } from "node:worker_threads";
import { buildApp } from "fauxqs";
import { linuxThreadId } from "../local/thread-id";

export interface FloorQueueReady {
  endpoint: string;
  tid: number | undefined;
}

const app = buildApp({ logger: false });
const endpoint = (await app.listen({ port: 0, host: "127.0.0.1" })).replace(
  "localhost",
  "127.0.0.1",
);
parentPort?.postMessage({ endpoint, tid: linuxThreadId() } satisfies FloorQueueReady);
