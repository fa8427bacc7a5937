import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ROUTES } from "../functions/routes";
import { startLocalStack } from "../local/stack";
import { LOCAL_STATE_FILE, type LocalState } from "./local-state";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "9000" },
    "data-dir": { type: "string" },
    "dynamodb-endpoint": { type: "string" },
  },
});
const dynamodbEndpoint = values["dynamodb-endpoint"];
if (dynamodbEndpoint !== undefined && !/^https?:\/\/[^/]+/.test(dynamodbEndpoint)) {
  console.error(
    `--dynamodb-endpoint must be a URL like http://127.0.0.1:8000, not ${JSON.stringify(dynamodbEndpoint)}`,
  );
  process.exit(2);
}

// Without AT credentials, replies go to the local outbox: print them here.
process.env.LOCAL_OUTBOX_PRINT ??= "1";
const outbox =
  !process.env.AT_USERNAME && !process.env.AT_API_KEY && !process.env.AT_CREDENTIALS_SECRET_ARN;

const generated = !process.env.CALLBACK_KEY;
const callbackKey = process.env.CALLBACK_KEY ?? randomBytes(24).toString("base64url");
const stack = await startLocalStack({
  port: Number(values.port),
  callbackKey,
  ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
  ...(dynamodbEndpoint ? { dynamodbEndpoint } : {}),
}).catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  console.error(
    dynamodbEndpoint
      ? `Could not start the local stack with DynamoDB at ${dynamodbEndpoint}: ${reason}`
      : `Could not start the local stack: ${reason}`,
  );
  process.exit(1);
});

const state: LocalState = {
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
console.log(
  `  DynamoDB  ${state.dynamodbEndpoint}  table ${state.tableName}${dynamodbEndpoint ? " (--dynamodb-endpoint)" : ""}`,
);
console.log(`  SQS       ${state.sqsEndpoint}  queues events, events-dlq, replies, replies-dlq`);
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

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping...");
  await stack.stop();
  // Another `npm start` in this checkout may have taken the file over since: leave it to that one.
  if (existsSync(LOCAL_STATE_FILE) && readFileSync(LOCAL_STATE_FILE, "utf8") === stateText) {
    rmSync(LOCAL_STATE_FILE, { force: true });
  }
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
