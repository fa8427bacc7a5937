import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { ROUTES } from "../functions/routes";
import { startLocalStack } from "../local/stack";
import { cli } from "./cli";
import { LOCAL_STATE_FILE, type LocalState, runningStack } from "./local-state";

const USAGE = `Usage: npm start -- [--port N] [--data-dir DIR] [--drain-seconds S]

  --port N           HTTP port (default: PORT or 9000; 0 picks a free one)
  --data-dir DIR     keep the table and the queued callbacks in DIR across restarts and crashes
  --drain-seconds S  on Ctrl-C, how long to keep recording what is queued before exiting (default 10)`;

const { values, fail } = cli(USAGE, {
  port: { type: "string", default: process.env.PORT ?? "9000" },
  "data-dir": { type: "string" },
  "drain-seconds": { type: "string", default: "10" },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port ${values.port} is not a port`);
const drainSeconds = Number(values["drain-seconds"]);
if (!(drainSeconds >= 0)) fail(`--drain-seconds ${values["drain-seconds"]} is not a number ≥ 0`);
const dataDir = values["data-dir"];

const other = runningStack();
if (other) {
  console.error(
    `Another npm start is running in this checkout (pid ${other.pid}, ${other.url}). Stop it first (Ctrl-C in its terminal): both would use ${LOCAL_STATE_FILE}, which npm run records reads.`,
  );
  process.exit(1);
}

// Without AT credentials, replies go to the local outbox: print them here.
process.env.LOCAL_OUTBOX_PRINT ??= "1";
const outbox =
  !process.env.AT_USERNAME && !process.env.AT_API_KEY && !process.env.AT_CREDENTIALS_SECRET_ARN;

const generated = !process.env.CALLBACK_KEY;
const callbackKey = process.env.CALLBACK_KEY ?? randomBytes(24).toString("base64url");
const stack = await startLocalStack({
  port,
  callbackKey,
  workersOnThread: true,
  ...(dataDir ? { dataDir } : {}),
});

const state: LocalState = {
  pid: process.pid,
  url: stack.url,
  tableName: stack.services.tableName,
  dynamodbEndpoint: stack.services.dynamodbEndpoint,
  sqsEndpoint: stack.services.sqsEndpoint,
  eventsQueueUrl: stack.services.eventsQueueUrl,
  eventsDlqUrl: stack.services.eventsDlqUrl,
  repliesQueueUrl: stack.services.repliesQueueUrl,
  repliesDlqUrl: stack.services.repliesDlqUrl,
};
mkdirSync(".local", { recursive: true });
const stateText = `${JSON.stringify(state, null, 2)}\n`;
writeFileSync(LOCAL_STATE_FILE, stateText);

const firstKey = callbackKey.split(",")[0] ?? "";
const width = Math.max(...ROUTES.map((r) => r.path.length));
console.log(`\nAfrica's Talking callbacks, running locally at ${stack.url}`);
console.log(
  generated
    ? `Callback key generated for this run (set CALLBACK_KEY to keep one): ${firstKey}`
    : "Callback key from CALLBACK_KEY.",
);
console.log(
  "\nPaste these in the AT dashboard, with your tunnel's https host instead of this one:\n",
);
for (const route of ROUTES) {
  console.log(`  ${route.path.padEnd(width)}  ${stack.url}${route.path}?key=${firstKey}`);
  console.log(`  ${"".padEnd(width)}  ↳ ${route.dashboard}`);
}
console.log("\nLocal services (any AWS SDK client or CLI works against them, region us-east-1):");
console.log(`  DynamoDB  ${state.dynamodbEndpoint}  table ${state.tableName}`);
console.log(`  SQS       ${state.sqsEndpoint}  queues events, events-dlq, replies, replies-dlq`);
console.log(
  dataDir
    ? `\nData kept in ${dataDir}: the table, and every queued callback, written to disk before its 200. A crash (even kill -9) loses nothing acknowledged: the next start records it.`
    : "\nNo --data-dir: the table and the queues live in memory. Ctrl-C records what is queued before exiting, but a crash (kill -9, a closed terminal, a power cut) loses every record and every callback answered 200 but not yet recorded. Keep them: npm start -- --data-dir .local/data",
);
if (stack.services.recovered > 0) {
  console.log(
    `Recovered ${stack.services.recovered} queued message(s) from the last run: recording them (and sending the replies still due) now.`,
  );
}
console.log(
  outbox
    ? "\nReplies to two-way SMS go to the local outbox (no AT_USERNAME/AT_API_KEY): printed below as [outbox] lines."
    : `\nReplies to two-way SMS are sent through Africa's Talking as ${process.env.AT_USERNAME}${process.env.AT_SHORTCODE ? ` from ${process.env.AT_SHORTCODE}` : ""}.`,
);
console.log("\nTry it:");
console.log(
  `  curl -s -X POST '${stack.url}/api/sms/twoway?key=${firstKey}' -d 'from=%2B254711000111&to=12345&text=Hello&id=ATXid_demo1&date=2026-11-30+10%3A30%3A00'`,
);
console.log(
  "  npm run records -- --id ATXid_demo1   (in another terminal: the message and its reply)",
);
console.log(
  `  curl -s -X POST '${stack.url}/api/sms/delivery-reports?key=${firstKey}' -d 'id=<the reply messageId>&status=Success&phoneNumber=%2B254711000111'\n`,
);
console.log("Structured logs follow. Ctrl-C stops everything.\n");

let interrupted: () => void = () => undefined;
let stopping = false;
const shutdown = async () => {
  if (stopping) {
    interrupted();
    return;
  }
  stopping = true;
  console.log(
    `\nStopping: new callbacks get 503 (AT retries them); recording what is queued, for up to ${drainSeconds} s (Ctrl-C again to stop now)...`,
  );
  const left = await Promise.race([
    stack.drain(drainSeconds * 1000),
    new Promise<void>((resolve) => {
      interrupted = resolve;
    }).then(() => stack.backlog()),
  ]);
  const pending = left.events + left.replies;
  if (pending === 0)
    console.log("Everything acknowledged is recorded and every reply due is sent.");
  else {
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
      `${left.deadLetters} message(s) in the dead-letter queues${dataDir ? "" : " (lost with this run)"}.`,
    );
  }
  await stack.stop();
  // Another `npm start` in this checkout may have taken the file over since: leave it to that one.
  if (existsSync(LOCAL_STATE_FILE) && readFileSync(LOCAL_STATE_FILE, "utf8") === stateText) {
    rmSync(LOCAL_STATE_FILE, { force: true });
  }
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
