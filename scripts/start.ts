import "./quiet-sdk";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadReplyPolicy } from "../functions/reply/policy";
import { ROUTES } from "../functions/routes";
import { consoleOutput, reloadLine } from "../local/console";
import { localForwardEndpoints } from "../local/forwarding";
import { startInspector } from "../local/inspector/server";
import { LOCAL_LOG_FILE, logFileWriter } from "../local/log-file";
import type { LocalStack } from "../local/stack";
import { startLocalStack } from "../local/stack";
import { cli } from "./cli";
import { interruptCounter } from "./interrupts";
import { localCallbackKey, localForwardSecret, localForwardTo, localPorts } from "./local-config";
import { LOCAL_STATE_FILE, type LocalState, runningStack } from "./local-state";
import { busyPortLine, busyPortLines, type NamedPort } from "./ports";

const USAGE = `Usage: npm start -- [--port 9000] [--data-dir DIR] [--visibility-timeout SECONDS]
                 [--dynamodb-endpoint URL] [--drain-seconds 10] [--no-watch] [--log json]
                 [--forward-to [NAME[TYPES]=]URL ...]
Runs every route locally with embedded SQS and DynamoDB, the workers, and the inspector page.
An edit under functions/ is served from the next request on (queues, records and the inspector
are kept); --no-watch serves the code as it was at start. The console shows a line per callback
and per reply; --log json prints the handlers' and workers' raw JSON log lines instead.
--data-dir DIR keeps the table, every queued callback and the inspector's list across restarts
and crashes; on Ctrl-C the stack answers 503 and records what is queued for up to
--drain-seconds before exiting.
--dynamodb-endpoint uses that DynamoDB (AWS's DynamoDB Local, http://127.0.0.1:8000) instead.
--forward-to URL (repeatable) sends every event, signed (Standard Webhooks), to a local app;
--forward-to 'crm[sms.incoming,sms.delivery]=URL' only those types, as -c forwardTo on a stage.
The secret is FORWARD_SECRET (whsec_...) or the one kept in .local/forward-secret, printed below.
Ports: PORT (routes, default 9000), INSPECTOR_PORT, SQS_PORT, DYNAMODB_PORT (default: the
three ports after PORT).`;
const { values, fail, orFail } = cli(USAGE, {
  port: { type: "string", default: process.env.PORT ?? "9000" },
  "data-dir": { type: "string" },
  "visibility-timeout": { type: "string" },
  "drain-seconds": { type: "string", default: "10" },
  "dynamodb-endpoint": { type: "string" },
  "no-watch": { type: "boolean", default: false },
  log: { type: "string", default: "pretty" },
  "forward-to": { type: "string", multiple: true },
});
if (values.log !== "pretty" && values.log !== "json") {
  fail(`--log must be pretty or json, not ${values.log}`);
}
const output = consoleOutput({
  json: values.log === "json",
  level: process.env.POWERTOOLS_LOG_LEVEL ?? "INFO",
  print: (line) => console.log(line),
});
const dynamodbEndpoint = values["dynamodb-endpoint"];
if (dynamodbEndpoint !== undefined && !/^https?:\/\/[^/]+/.test(dynamodbEndpoint)) {
  fail(`--dynamodb-endpoint must be a URL like http://127.0.0.1:8000, not ${dynamodbEndpoint}`);
}
const dataDir = values["data-dir"];
const drainSeconds = Number(values["drain-seconds"]);
if (!(drainSeconds >= 0))
  fail(`--drain-seconds must be a number ≥ 0, not ${values["drain-seconds"]}`);
const other = runningStack();
if (other) {
  console.error(
    `Another npm start is running in this checkout (pid ${other.pid}${other.url ? `, ${other.url}` : ""}). Stop it first (Ctrl-C in its terminal): both would use ${LOCAL_STATE_FILE}, which the other npm scripts read.`,
  );
  process.exit(1);
}
const ports = orFail(() => localPorts(values.port, process.env));
const visibility = values["visibility-timeout"];
const visibilityTimeoutSeconds = visibility === undefined ? undefined : Number(visibility);
if (
  visibilityTimeoutSeconds !== undefined &&
  !(
    Number.isInteger(visibilityTimeoutSeconds) &&
    visibilityTimeoutSeconds >= 0 &&
    visibilityTimeoutSeconds <= 43_200
  )
) {
  fail(`--visibility-timeout must be whole seconds from 0 to 43200, not ${visibility}`);
}

// A port in use is found before anything starts: one line each, naming what moves it.
const namedPorts: NamedPort[] = [
  { port: ports.http, what: "the routes", setting: "--port or PORT" },
  { port: ports.inspector, what: "the inspector", setting: "INSPECTOR_PORT" },
  { port: ports.sqs, what: "SQS", setting: "SQS_PORT" },
  ...(dynamodbEndpoint
    ? []
    : [{ port: ports.dynamodb, what: "DynamoDB", setting: "DYNAMODB_PORT" }]),
];
const busy = await busyPortLines(namedPorts);
if (busy.length > 0) {
  console.error(busy.join("\n"));
  process.exit(2);
}

// Without AT credentials, replies go to the local outbox: print them here.
const forwardUrls = values["forward-to"] ?? [];
const forwardTo = localForwardTo(forwardUrls);
orFail(() => localForwardEndpoints({ FORWARD_TO: forwardTo }));
const forwardSecret =
  forwardUrls.length > 0 ? orFail(() => localForwardSecret(process.env)) : undefined;

/** The functions' settings: this shell's environment; outbox replies printed unless told. */
const settings = {
  LOCAL_OUTBOX_PRINT: "1",
  ...process.env,
  ...(forwardSecret ? { FORWARD_TO: forwardTo, FORWARD_SECRET: forwardSecret.secret } : {}),
};
const outbox =
  !process.env.AT_USERNAME && !process.env.AT_API_KEY && !process.env.AT_CREDENTIALS_SECRET_ARN;

const { callbackKey, source: keySource } = localCallbackKey(process.env);
let stack: LocalStack | undefined;
const inspector = await orFailAsync(() =>
  startInspector({
    port: ports.inspector,
    stack: () => stack as LocalStack,
    callbackKey,
    ...(dataDir ? { dataDir } : {}),
    ...(process.env.PHONE_COUNTRY_CODE ? { country: process.env.PHONE_COUNTRY_CODE } : {}),
  }),
);
// `npm run logs` reads the functions' log lines back from here, by AT id too (docs/logs.md).
const keepLogLine = logFileWriter(LOCAL_LOG_FILE);
stack = await orFailAsync(() =>
  startLocalStack({
    port: ports.http,
    sqsPort: ports.sqs,
    dynamodbPort: ports.dynamodb,
    callbackKey,
    onExchange: (exchange) => {
      inspector.record(exchange);
      output.exchange(exchange);
    },
    onOutput: (line) => {
      keepLogLine(line);
      output.line(line);
    },
    onWorkerFailure: inspector.workerFailure,
    threads: true,
    ...(values["no-watch"] ? {} : { onReload: (outcome) => console.log(reloadLine(outcome)) }),
    settings,
    ...(dataDir ? { dataDir } : {}),
    ...(visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds }),
    ...(dynamodbEndpoint ? { dynamodbEndpoint } : {}),
  }).catch((error: unknown) => {
    if (!dynamodbEndpoint) throw error;
    return fail(
      `could not use DynamoDB at ${dynamodbEndpoint}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }),
);
inspector.watch();

const firstKey = callbackKey.split(",")[0] ?? "";
const state: LocalState = {
  pid: process.pid,
  url: stack.url,
  callbackKey: firstKey,
  inspectorUrl: inspector.url,
  tableName: stack.services.tableName,
  dynamodbEndpoint: stack.services.dynamodbEndpoint,
  sqsEndpoint: stack.services.sqsEndpoint,
  eventsQueueUrl: stack.services.eventsQueueUrl,
  eventsDlqUrl: stack.services.eventsDlqUrl,
  repliesQueueUrl: stack.services.repliesQueueUrl,
  repliesDlqUrl: stack.services.repliesDlqUrl,
  snsEndpoint: stack.services.snsEndpoint,
  eventsTopicArn: stack.services.eventsTopicArn,
  ...(stack.services.forwardQueues?.length
    ? {
        forwardQueues: stack.services.forwardQueues.map((q) => ({
          name: `forward-${q.endpoint.name}`,
          url: q.url,
          dlqUrl: q.dlqUrl,
        })),
      }
    : {}),
  threads: stack.threads,
};
mkdirSync(".local", { recursive: true });
const stateText = `${JSON.stringify(state, null, 2)}\n`;
writeFileSync(LOCAL_STATE_FILE, stateText);

const width = Math.max(...ROUTES.map((r) => r.path.length));
console.log(`\nAfrica's Talking callbacks, running locally at ${stack.url}`);
console.log(
  keySource === "env"
    ? "Callback key from CALLBACK_KEY."
    : `Callback key ${firstKey} (${keySource === "generated" ? "generated and kept" : "kept"} in .local/callback-key, so tunnel URLs survive a restart; CALLBACK_KEY overrides it).`,
);
console.log(`\nInspector (this machine only): ${inspector.url}`);
console.log(
  "\nPaste these in the AT dashboard, with your tunnel's https host instead of this one:\n",
);
for (const route of ROUTES) {
  console.log(`  ${route.path.padEnd(width)}  ${stack.url}${route.path}?key=${firstKey}`);
  console.log(`  ${"".padEnd(width)}  ↳ ${route.dashboard}`);
}
console.log("\nLocal services (any AWS SDK client or CLI works against them, region us-east-1):");
console.log(
  `  DynamoDB  ${state.dynamodbEndpoint}  table ${state.tableName}${dynamodbEndpoint ? " (--dynamodb-endpoint)" : ""}`,
);
console.log(`  SQS       ${state.sqsEndpoint}  queues events, events-dlq, replies, replies-dlq`);
// With --dynamodb-endpoint the records live in that DynamoDB; only the queues are ours to keep.
const kept = dynamodbEndpoint ? "every queued callback" : "the table, and every queued callback";
const lost = dynamodbEndpoint
  ? "every callback answered 200\n            and not yet recorded"
  : "every record and every callback answered 200 and\n            not yet recorded";
console.log(
  dataDir
    ? `  Data      ${dataDir}: ${kept}, written to disk before its 200.\n            A crash (even kill -9) loses nothing acknowledged: the next start records it.`
    : `  Data      in memory. Ctrl-C records what is queued before exiting, but a crash (kill -9, a\n            closed terminal, a power cut) loses ${lost}. Keep them: npm start -- --data-dir .local/data`,
);
if (stack.services.recovered > 0) {
  console.log(
    `  Recovered ${stack.services.recovered} queued message(s) from the last run: recording them (and sending the replies still due) now.`,
  );
}
if (visibilityTimeoutSeconds !== undefined) {
  console.log(
    `  Retries   a failed message comes back after ${visibilityTimeoutSeconds} s (--visibility-timeout)`,
  );
}
if (forwardSecret) {
  console.log("\nForwarding events, signed (Standard Webhooks), to:");
  for (const endpoint of localForwardEndpoints(settings)) {
    const only = endpoint.types ? `, only ${endpoint.types.join(", ")}` : "";
    console.log(
      `  ${endpoint.url}  (endpoint ${endpoint.name}, queue forward-${endpoint.name}${only})`,
    );
  }
  console.log(
    `  Signing secret ${forwardSecret.secret}\n  ${
      forwardSecret.source === "env"
        ? "from FORWARD_SECRET"
        : `${forwardSecret.source === "generated" ? "generated and kept" : "kept"} in .local/forward-secret (FORWARD_SECRET overrides it)`
    }; retries after 408, 409, 429, 5xx or no answer: the first three within 15 s (docs/forwarding.md)`,
  );
}
const airtimeRules = Object.entries(process.env).filter(([name]) => name.startsWith("AIRTIME_"));
console.log(
  `\nAirtime validation: ${airtimeRules.length > 0 ? airtimeRules.map(([k, v]) => `${k}=${v}`).join(" ") : "no AIRTIME_* rules, every well-formed request is Validated"}`,
);
const { template } = loadReplyPolicy(process.env, "local");
console.log(
  `Reply template: ${template === "" ? "(empty: no automatic replies)" : JSON.stringify(template)}${process.env.SMS_REPLY_KEYWORDS ? `, keywords ${process.env.SMS_REPLY_KEYWORDS}` : ""}`,
);
console.log(
  outbox
    ? "\nReplies to two-way SMS go to the local outbox (no AT_USERNAME/AT_API_KEY): printed below as [outbox] lines."
    : `\nReplies to two-way SMS are sent through Africa's Talking as ${process.env.AT_USERNAME}${process.env.AT_SHORTCODE ? ` from ${process.env.AT_SHORTCODE}` : ""}.`,
);
console.log("\nTry it, in another terminal:");
console.log(
  "  npm run simulate -- sms --text hello            an SMS, its reply and delivery report",
);
console.log("  npm run simulate -- ussd --code '*384*1#'        walk the USSD menu");
console.log("  npm run records -- --follow                      records as they are written");
console.log(
  `  curl -s -X POST '${stack.url}/api/sms/twoway?key=${firstKey}' -d 'from=%2B254711000111&to=12345&text=Hello&id=ATXid_demo1&date=2026-11-30+10%3A30%3A00'\n`,
);
console.log(
  values.log === "json"
    ? "The handlers' and workers' JSON log lines follow. Ctrl-C stops everything.\n"
    : "One line per callback and per reply follows (--log json: the raw log lines). Ctrl-C stops everything.\n",
);

let interrupted: () => void = () => undefined;
const interrupt = interruptCounter();
const shutdown = async () => {
  const signal = interrupt();
  if (signal === "copy") return;
  if (signal === "again") {
    interrupted();
    return;
  }
  const running = stack as LocalStack;
  console.log(
    `\nStopping: new callbacks get 503 (AT retries them); recording what is queued, for up to ${drainSeconds} s (Ctrl-C again to stop now)...`,
  );
  const left = await Promise.race([
    running.drain(drainSeconds * 1000),
    new Promise<void>((resolve) => {
      interrupted = resolve;
    }).then(() => running.backlog()),
  ]);
  if (left.events + left.replies === 0) {
    console.log("Everything acknowledged is recorded and every reply due is sent.");
  } else {
    console.log(
      `Left on the queues: ${left.events} callback(s) not yet recorded, ${left.replies} reply job(s) not yet done. ${
        dataDir
          ? `Kept in ${dataDir}: the next npm start -- --data-dir ${dataDir} records them.`
          : "Lost: this run had no --data-dir."
      }`,
    );
  }
  if (left.deadLetters > 0) {
    console.log(
      `${left.deadLetters} message(s) in the dead-letter queues${dataDir ? "" : " (lost with this run)"}: npm run dlq -- list`,
    );
  }
  await running.stop();
  await inspector.stop();
  // Another `npm start` in this checkout may have taken the file over since: leave it to that one.
  if (existsSync(LOCAL_STATE_FILE) && readFileSync(LOCAL_STATE_FILE, "utf8") === stateText) {
    rmSync(LOCAL_STATE_FILE, { force: true });
  }
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

/** A port already taken is a usage problem: say which, not a stack trace. */
async function orFailAsync<R>(work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { port?: number };
    if (e.code === "EADDRINUSE") {
      // Taken since the check above: still one line, not a stack trace.
      console.error(busyPortLine(namedPorts, e.port));
      process.exit(2);
    }
    throw error;
  }
}
