import type { ParseArgsConfig } from "node:util";
import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { toE164 } from "../../functions/shared/phone";
import { suppressionPartition, TABLE } from "../../functions/table/keys";
import {
  decodeSuppression,
  isActive,
  liftSuppression,
  type Suppression,
} from "../../functions/table/suppressions";
import type { TableOptions, TableTarget } from "../local-state";
import { parseCommand, UsageError } from "./command";

export const SUPPRESSIONS_USAGE = `Usage: npm run suppressions -- list [--phone P] [--json] | lift <phone> [--sender S]
                              [--stage S [--region R] | --table NAME --region R | --endpoint URL --table NAME]
The numbers replies are not sent to: opted out of a sender (an opt-out callback) or blacklisted
(a delivery report with UserInBlackList). From the local stack, a deployed stage (--stage: its
table and region from the stack's outputs) or a deployed table.
  list        every suppression (without --phone this reads the whole table: a scan)
  lift PHONE  sends replies to that number again (all senders, or only --sender S); a replay of
              the opt-out received before the lift (an AT retry, a redrive) does not undo it`;

export const SUPPRESSIONS_OPTIONS = {
  phone: { type: "string" },
  sender: { type: "string" },
  json: { type: "boolean", default: false },
  stage: { type: "string" },
  "describe-stacks": { type: "string" },
  table: { type: "string" },
  region: { type: "string" },
  endpoint: { type: "string" },
  help: { type: "boolean", default: false },
} satisfies ParseArgsConfig["options"];

const SUPPRESS_PREFIX = suppressionPartition("");

export async function suppressions(
  argv: string[],
  out: (line: string) => void,
  table: (values: TableOptions) => TableTarget,
): Promise<number> {
  const { values: v, positionals } = parseCommand(argv, SUPPRESSIONS_OPTIONS);
  if (v.help) {
    out(SUPPRESSIONS_USAGE);
    return 0;
  }
  const [action, phoneArg] = positionals;
  if (action !== "list" && action !== "lift")
    throw new UsageError("name an action: list or lift <phone>");
  const rawPhone = action === "lift" ? phoneArg : v.phone;
  if (action === "lift" && !rawPhone) throw new UsageError("lift needs the phone number");
  const phone = rawPhone === undefined ? undefined : toE164(rawPhone);
  if (rawPhone !== undefined && !phone) {
    throw new UsageError(
      `the phone must be an international number like +254711000111, not ${rawPhone}`,
    );
  }
  let target: TableTarget;
  try {
    target = table(v);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  try {
    const found = (
      phone
        ? await suppressionsOf(target.client, target.tableName, phone)
        : await allSuppressions(target.client, target.tableName)
    ).filter((s) => isActive(s) && (!v.sender || s.sender === v.sender));
    if (action === "list") {
      for (const s of found)
        out(
          v.json
            ? JSON.stringify(s)
            : [
                s.since,
                s.phoneNumber,
                `sender=${s.sender}`,
                `reason=${s.reason}`,
                `source=${s.source}`,
              ].join("  "),
        );
      if (!v.json && found.length === 0) out("no suppressions");
      return 0;
    }
    let lifted = 0;
    for (const s of found) {
      if (!(await liftSuppression(target.client, target.tableName, s, new Date()))) continue;
      lifted++;
      out(`lifted: ${s.phoneNumber} sender=${s.sender} (suppressed since ${s.since}, ${s.reason})`);
    }
    if (lifted === 0) {
      out(`${phone} is not suppressed${v.sender ? ` for sender ${v.sender}` : ""}`);
      return 1;
    }
    return 0;
  } finally {
    target.client.destroy();
  }
}

async function suppressionsOf(client: DynamoDBDocumentClient, tableName: string, phone: string) {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
      ExpressionAttributeValues: { ":pk": suppressionPartition(phone) },
    }),
  );
  return Items.map(decodeSuppression);
}

async function allSuppressions(client: DynamoDBDocumentClient, tableName: string) {
  const items: Suppression[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "begins_with(#pk, :prefix)",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
        ExpressionAttributeValues: { ":prefix": SUPPRESS_PREFIX },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []).map(decodeSuppression));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => (a.since < b.since ? 1 : -1));
}
