// Entry of the local stack's threads: the TypeScript module named in workerData.entry, through
// tsx, as `npm start` runs the rest.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(new URL(workerData.entry, import.meta.url).href);
