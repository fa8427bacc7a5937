import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { queryRecords } from "../functions/table/record-store";
import { cli } from "./cli";
import { loadOutputs, output, readCallbackKey } from "./deployed-stack";
import { runSmoke } from "./smoke-run";

const USAGE = `Usage: npm run smoke -- --stage S [--region R] [--timeout SECONDS]
Posts one harmless callback per route to a deployed stage (ids start with SMOKE-, no SMS is
sent), checks each answer, and waits for each record in the table. Exit code 1 if any fails.
\`npm run records\` hides smoke records; \`npm run records -- --smoke\` shows them.`;

const { values, fail } = cli(USAGE, {
  stage: { type: "string" },
  region: { type: "string" },
  timeout: { type: "string", default: "90" },
  help: { type: "boolean", default: false },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const stage = values.stage ?? fail("--stage is required (e.g. --stage prod)");
const timeoutSeconds = Number(values.timeout);
if (!(timeoutSeconds > 0)) fail(`--timeout must be a positive number of seconds`);

try {
  const outputs = loadOutputs({ stage, region: values.region });
  const secretArn = output(outputs, "CallbackKeySecretArn");
  const region = values.region ?? secretArn.split(":")[3];
  const tableName = output(outputs, "TableName");
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(region ? { region } : {}));
  const results = await runSmoke(
    {
      apiEndpoint: output(outputs, "ApiEndpoint"),
      key: await readCallbackKey(secretArn),
      records: (id) => queryRecords(documents, tableName, { id, limit: 10 }),
    },
    { timeoutMs: timeoutSeconds * 1000 },
  );
  documents.destroy();
  let failed = 0;
  for (const r of results) {
    const ok = r.answerOk && r.recorded;
    if (!ok) failed += 1;
    console.log(
      `${ok ? "ok  " : "FAIL"}  ${r.route.method} ${r.route.path.padEnd(28)} HTTP ${r.status}  ${r.answerOk ? "answer ok" : `answer ${JSON.stringify(r.answer.slice(0, 80))}`}  ${r.recorded ? `recorded (${r.atId})` : "no record"}`,
    );
  }
  console.log(
    failed === 0 ? `\nAll ${results.length} routes work.` : `\n${failed} route(s) failed.`,
  );
  process.exit(failed === 0 ? 0 : 1);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
