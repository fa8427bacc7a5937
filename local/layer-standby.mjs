// A thread waiting to serve the local stack's handlers or workers (local/reload.ts). It imports
// the packages they use while it waits, so that a reload has only our own code left to load:
// then it imports the bundle it is sent, which serves (local/layer-thread.ts).
import { parentPort, workerData } from "node:worker_threads";

await Promise.all(workerData.preload.map((name) => import(name).catch(() => undefined)));
parentPort?.once("message", async (message) => {
  // A bundle that fails to load ends the thread with its error: the stack keeps the last good one.
  await import(message.bundle);
});
