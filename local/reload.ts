import {
  type FSWatcher,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  watch,
} from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type BuildContext, context as buildContext } from "esbuild";
import type { Env } from "../functions/config/env";
import type { WorkerFailure } from "./inspector/worker-failures";
import type { FromLayerThread, LayerThreadData, ToLayerThread } from "./layer-thread";
import type { ServiceEndpoints } from "./services";

/** What a reload did: the files whose change set it off, and how it ended. */
export type ReloadOutcome =
  | { ok: true; files: string[]; ms: number }
  | { ok: false; files: string[]; error: unknown };

/**
 * The handlers and workers of the local stack, on two threads loaded from functions/: the
 * HTTP handlers answer what the server posts them, the workers poll the queues. With `watch`,
 * an edit under `watch.dir` loads a new pair of threads; once both have loaded, the server
 * sends them the next request and their workers start polling, while the old pair finishes
 * what it holds (requests in flight, batches in hand, the receive under way) and ends. The
 * queues, the table and the inspector live elsewhere and are untouched. Code that fails to
 * load is reported and never served: the last good pair keeps going.
 */
export interface HandlerLayer {
  invoke(
    routeKey: string,
    event: APIGatewayProxyEventV2,
  ): Promise<APIGatewayProxyStructuredResultV2>;
  /** Linux thread ids of the pair now serving (`handlers`, `workers`), where there is /proc. */
  threads(): Record<string, number>;
  stop(): Promise<void>;
}

export interface HandlerLayerOptions {
  endpoints: ServiceEndpoints;
  callbackKey: string;
  settings: Env;
  onError: (error: unknown) => void;
  /** Told of every message a worker fails on, observed in the workers' thread (the inspector). */
  onWorkerFailure?: ((failure: WorkerFailure) => void) | undefined;
  /** Each line the handlers and workers write (their logs); to the console when unset. */
  onOutput?: ((line: string, stream: "stdout" | "stderr") => void) | undefined;
  watch?: { dir: string; onReload: (outcome: ReloadOutcome) => void } | undefined;
}

/** Source files; not editors' swap, backup and temporary files. */
const SOURCE = /^[^.~][^/\\~]*\.(ts|mts|cts|js|mjs|cjs|json)$/;
/** An editor's save is often several writes: wait for them to settle. */
const SETTLE_MS = 100;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export async function startHandlerLayer(options: HandlerLayerOptions): Promise<HandlerLayer> {
  const bundler = await layerBundler();
  await bundler.build();
  // Threads that already hold the packages, ready for the next reload (made once the pair in
  // service has loaded, not to slow it down).
  let spare: Spare | undefined;
  const takeSpare = () => {
    const ready = spare ?? spareThreads(options, bundler);
    spare = undefined;
    return ready;
  };
  const refill = () => {
    if (!stopping && options.watch) spare ??= spareThreads(options, bundler);
  };
  let current: Generation;
  try {
    current = await loadGeneration(options, bundler, takeSpare());
  } catch (error) {
    await bundler.dispose();
    throw error;
  }
  current.workers.postMessage({ type: "start" } satisfies ToLayerThread);
  let stopping = false;
  refill();
  let reloading: Promise<void> | undefined;
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const reload = async () => {
    while (changed.size > 0 && !stopping) {
      const files = [...changed].sort();
      changed = new Set();
      const started = performance.now();
      try {
        const next = await loadGeneration(options, bundler, takeSpare());
        if (stopping) {
          await retire(next, false);
          return;
        }
        next.workers.postMessage({ type: "start" } satisfies ToLayerThread);
        const old = current;
        current = next;
        options.watch?.onReload({ ok: true, files, ms: Math.round(performance.now() - started) });
        void retire(old, true);
      } catch (error) {
        options.watch?.onReload({ ok: false, files, error });
      }
      refill();
    }
  };

  const watcher = options.watch
    ? watchTree(options.watch.dir, (file) => {
        changed.add(file);
        clearTimeout(timer);
        timer = setTimeout(() => {
          reloading ??= reload().finally(() => {
            reloading = undefined;
          });
        }, SETTLE_MS);
      })
    : undefined;

  let seq = 0;
  return {
    invoke(routeKey, event) {
      const generation = current;
      const id = ++seq;
      return new Promise((resolve, reject) => {
        generation.pending.set(id, { resolve, reject });
        generation.http.postMessage({
          type: "invoke",
          id,
          routeKey,
          event,
        } satisfies ToLayerThread);
      });
    },
    threads: () => current.tids,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      watcher?.close();
      await reloading;
      const left = spare ? [spare.http.terminate(), spare.workers.terminate()] : [];
      await Promise.all([retire(current, false), ...left]);
      await bundler.dispose();
    },
  };
}

/** A syntax error, as esbuild reports it: where, and what. */
export class CodeError extends Error {
  override name = "CodeError";
}

interface Bundler {
  /** Writes the bundles with the code as it is now; a CodeError if it does not compile. */
  build(): Promise<void>;
  /** The packages the bundles import, as of the last build. */
  packages(): string[];
  /** The bundle. */
  file: string;
  dispose(): Promise<void>;
}

/**
 * The HTTP handlers and the workers of the route table in a bundle each, with the thread code
 * that serves them: a fresh thread loads our code from one file and the packages natively (about
 * twice as quick as each module through tsx's hooks), and esbuild re-reads only what changed.
 */
async function layerBundler(): Promise<Bundler> {
  // The bundle the threads load, rebuilt on each change (esbuild keeps what did not change).
  // Inside the checkout, so that its imports of packages resolve to its node_modules.
  const cache = join(ROOT, "node_modules/.cache/at-callbacks");
  mkdirSync(cache, { recursive: true });
  // One folder per process, named after it: what a killed one left is removed by the next.
  for (const left of readdirSync(cache)) {
    const pid = Number(/^layer-(\d+)-/.exec(left)?.[1]);
    if (pid > 0 && !alive(pid)) rmSync(join(cache, left), { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(cache, `layer-${process.pid}-`));
  const context: BuildContext = await buildContext({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, "local/layer-thread.ts")],
    outfile: join(dir, "layer.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Our code only: the packages load from node_modules as usual (quicker, all told, than
    // bundling them again on every start, on a busy machine as on an idle one).
    packages: "external",
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    logLevel: "silent",
  });
  let packages: string[] = [];
  return {
    async build() {
      try {
        const { metafile } = await context.rebuild();
        packages = [
          ...new Set(
            Object.values(metafile?.outputs ?? {}).flatMap((output) =>
              output.imports.filter((i) => i.external).map((i) => i.path),
            ),
          ),
        ];
      } catch (error) {
        const first = (error as { errors?: { text: string; location: Location | null }[] })
          .errors?.[0];
        if (!first) throw error;
        const at = first.location;
        throw new CodeError(at ? `${at.file}:${at.line}:${at.column}: ${first.text}` : first.text);
      }
    },
    file: join(dir, "layer.mjs"),
    packages: () => packages,
    async dispose() {
      await context.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Location {
  file: string;
  line: number;
  column: number;
}

interface Pending {
  resolve: (result: APIGatewayProxyStructuredResultV2) => void;
  reject: (error: Error) => void;
}

/** One pair of threads, loaded from the code as it was when they started. */
interface Generation {
  http: Worker;
  workers: Worker;
  tids: Record<string, number>;
  /** Requests posted to the HTTP thread and not yet answered. */
  pending: Map<number, Pending>;
  /** Resolves once nothing is pending. */
  idle(): Promise<void>;
  stopped: Promise<void>;
  exited: Promise<void>;
}

/** A pair of threads that have loaded the packages, waiting for a bundle to serve. */
interface Spare {
  http: Worker;
  workers: Worker;
}

function spareThreads(options: HandlerLayerOptions, bundler: Bundler): Spare {
  const { onOutput } = options;
  const spawn = (role: LayerThreadData["role"]) => {
    const thread = new Worker(new URL("./layer-standby.mjs", import.meta.url), {
      workerData: {
        role,
        endpoints: options.endpoints,
        callbackKey: options.callbackKey,
        settings: { ...options.settings },
        preload: bundler.packages(),
      } satisfies LayerThreadData & { preload: string[] },
      execArgv: ["--enable-source-maps"],
      stdout: onOutput !== undefined,
      stderr: onOutput !== undefined,
    });
    if (onOutput) {
      for (const stream of ["stdout", "stderr"] as const) {
        createInterface({ input: thread[stream], crlfDelay: Infinity }).on("line", (line) =>
          onOutput(line, stream),
        );
      }
    }
    return thread;
  };
  return { http: spawn("http"), workers: spawn("workers") };
}

/** Builds the bundles, and has the spare threads load them. */
async function loadGeneration(
  options: HandlerLayerOptions,
  bundler: Bundler,
  spare: Spare,
): Promise<Generation> {
  const { http, workers } = spare;
  try {
    await bundler.build();
  } catch (error) {
    await Promise.all([http.terminate(), workers.terminate()]);
    throw error;
  }
  for (const thread of [http, workers]) {
    thread.postMessage({ bundle: pathToFileURL(bundler.file).href });
  }
  const exited = Promise.all([http, workers].map((t) => new Promise((r) => t.once("exit", r))));
  const pending = new Map<number, Pending>();
  let idle: (() => void) | undefined;
  let stopped: () => void = () => undefined;
  const loaded = (thread: Worker) =>
    new Promise<number | undefined>((resolve, reject) => {
      thread.on("message", (message: FromLayerThread) => {
        if (message.type === "loaded") resolve(message.tid);
      });
      thread.once("error", reject);
      thread.once("exit", () => reject(new Error("a local handler thread exited while loading")));
    });
  http.on("message", (message: FromLayerThread) => {
    if (message.type !== "result" && message.type !== "failed") return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.type === "result") waiting?.resolve(message.result);
    else waiting?.reject(Object.assign(new Error(message.message), { stack: message.stack }));
    if (pending.size === 0) idle?.();
  });
  http.on("exit", () => {
    for (const waiting of pending.values()) waiting.reject(new Error("the handler thread ended"));
    pending.clear();
    idle?.();
  });
  workers.on("message", (message: FromLayerThread) => {
    if (message.type === "error") options.onError(new Error(message.message));
    else if (message.type === "failure") options.onWorkerFailure?.(message.failure);
    else if (message.type === "stopped") stopped();
  });
  try {
    const [httpTid, workersTid] = await Promise.all([loaded(http), loaded(workers)]);
    return {
      http,
      workers,
      tids: {
        ...(httpTid === undefined ? {} : { handlers: httpTid }),
        ...(workersTid === undefined ? {} : { workers: workersTid }),
      },
      pending,
      idle: () =>
        pending.size === 0
          ? Promise.resolve()
          : new Promise((resolve) => {
              idle = resolve;
            }),
      stopped: new Promise<void>((resolve) => {
        stopped = resolve;
        workers.once("exit", () => resolve());
      }),
      exited: exited.then(() => undefined),
    };
  } catch (error) {
    await Promise.all([http.terminate(), workers.terminate()]);
    throw error;
  }
}

/** Lets a pair finish what it holds (answers due, batches in hand), then ends it. */
async function retire(generation: Generation, graceful: boolean) {
  generation.workers.postMessage({ type: "stop", graceful } satisfies ToLayerThread);
  await Promise.all([generation.idle(), generation.stopped]);
  await Promise.all([generation.http.terminate(), generation.workers.terminate()]);
}

/**
 * Tells `onChange` of each source file written, created, renamed or deleted under `root`: a
 * watch on every folder (an editor's atomic save replaces the file, which a watch on the file
 * itself would lose track of, as Node 20's recursive watch on Linux does).
 */
function watchTree(root: string, onChange: (file: string) => void): { close(): void } {
  const watchers = new Map<string, FSWatcher>();
  const add = (dir: string) => {
    if (watchers.has(dir)) return;
    try {
      watchers.set(
        dir,
        watch(dir, (_event, name) => {
          if (!name) return;
          const path = join(dir, name.toString());
          if (SOURCE.test(name.toString())) onChange(path);
          else if (!name.toString().startsWith(".") && isDirectory(path)) add(path);
        }),
      );
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && !entry.name.startsWith(".")) add(join(dir, entry.name));
      }
    } catch {
      // Gone again already.
    }
  };
  add(root);
  return {
    close: () => {
      for (const w of watchers.values()) w.close();
    },
  };
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};
