import "./quiet-sdk";
import * as v from "valibot";
import { type DeliveryItem, queryDeliveries } from "../functions/table/deliveries";
import { queryRecords, type RecordFilter } from "../functions/table/record-store";
import type { RecordItem } from "../functions/table/records";
import { RECORD_TYPES } from "../functions/table/records";
import { cli } from "./cli";
import { followRecords } from "./commands/follow";
import { resolveTable } from "./local-state";
import { phoneInput } from "./phone-input";
import { isSmokeRecord } from "./smoke-callbacks";

const USAGE = `Usage: npm run records -- [--type T] [--phone P [--country 254]] [--id ID] [--since ISO] [--limit N]
                         [--json] [--follow] [--smoke]
                         [--stage S [--region R] | --table NAME --region R | --endpoint URL --table NAME]
Lists records newest first: from the local stack started by \`npm start\`, or from a deployed
stage's table (--stage: the table and region are read from the stack's outputs), or any table.
--phone takes +254711000111 or the national 0711000111 (country: --country, else PHONE_COUNTRY_CODE, else 254).
--id of an incoming SMS shows the message and its reply (state, AT's answer, delivery status),
and for every record its events' deliveries to forwarding endpoints (attempts, last status, error).
--follow lists the latest (oldest first), then prints records as they are written, until Ctrl-C.
Records of \`npm run smoke\` (ids starting SMOKE-) are hidden unless --smoke or --id is given.`;

const { values, fail, orFail } = cli(USAGE, {
  type: { type: "string" },
  phone: { type: "string" },
  country: { type: "string" },
  id: { type: "string" },
  since: { type: "string" },
  limit: { type: "string", default: "20" },
  json: { type: "boolean", default: false },
  follow: { type: "boolean", default: false },
  smoke: { type: "boolean", default: false },
  stage: { type: "string" },
  "describe-stacks": { type: "string" },
  table: { type: "string" },
  region: { type: "string" },
  endpoint: { type: "string" },
  help: { type: "boolean", default: false },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const limit = Number(values.limit);
if (!Number.isInteger(limit) || limit < 1)
  fail(`--limit must be a positive integer, not ${values.limit}`);
const type = values.type ? v.safeParse(v.picklist(RECORD_TYPES), values.type) : undefined;
if (type && !type.success) fail(`--type must be one of ${RECORD_TYPES.join(", ")}`);
if (values.since && Number.isNaN(Date.parse(values.since)))
  fail(`--since must be an ISO date, not ${values.since}`);
const phones = orFail(() => phoneInput(values.country, process.env));
const phone =
  values.phone === undefined
    ? undefined
    : (phones.normalise(values.phone) ??
      fail(`--phone must be a number like +254711000111 or 0711000111, not ${values.phone}`));

const { client, tableName } = orFail(() => resolveTable(values));
const filter: RecordFilter = {
  limit,
  ...(type?.success ? { type: type.output } : {}),
  ...(phone ? { phone } : {}),
  ...(values.id ? { id: values.id } : {}),
  ...(values.since ? { since: new Date(values.since).toISOString() } : {}),
};

if (values.follow && values.id)
  fail("--follow lists new records by type or phone; it does not take --id");

try {
  const startedAt = new Date();
  const showSmoke = values.smoke || values.id !== undefined;
  const shown = (r: RecordItem) => showSmoke || !isSmokeRecord(r);
  const records = (await queryRecords(client, tableName, filter)).filter(shown);
  const print = (record: RecordItem) =>
    console.log(values.json ? JSON.stringify(toJsonLine(record)) : toTextLine(record));
  for (const record of values.follow ? [...records].reverse() : records) print(record);
  if (values.id) {
    for (const delivery of await queryDeliveries(client, tableName, values.id)) {
      console.log(
        values.json
          ? JSON.stringify({ delivery: deliveryFields(delivery) })
          : deliveryLine(delivery),
      );
    }
  }
  if (values.follow) {
    console.error("following new records (Ctrl-C stops)");
    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    process.once("SIGTERM", () => stop.abort());
    const { id: _id, since: _since, limit: _limit, ...followed } = filter;
    const printShown = (r: RecordItem) => {
      if (shown(r)) print(r);
    };
    await followRecords(client, tableName, followed, printShown, {
      signal: stop.signal,
      since: startedAt,
    });
  } else if (!values.json && records.length === 0) console.error("no records match");
} catch (error) {
  console.error(
    `could not read table ${tableName}: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}

/** The state and AT answer of an `sms.reply` record, and its delivery status (docs/replies.md). */
function replyFields(r: RecordItem): Record<string, unknown> {
  if (r.type !== "sms.reply") return {};
  const REPLY_FIELDS = [
    "state",
    "attempts",
    "messageId",
    "status",
    "statusCode",
    "cost",
    "deliveryStatus",
    "deliveryFailureReason",
    "suppressedBy",
    "error",
  ] as const;
  const item = r as RecordItem & Record<string, unknown>;
  return Object.fromEntries(
    REPLY_FIELDS.filter((f) => item[f] !== undefined && item[f] !== "").map((f) => [f, item[f]]),
  );
}

function toJsonLine(r: RecordItem) {
  const reply = replyFields(r);
  return {
    type: r.type,
    id: r.id,
    receivedAt: r.receivedAt,
    ...(r.phoneNumber ? { phoneNumber: r.phoneNumber } : {}),
    route: r.route,
    payload: r.payload,
    ...(r.answer === undefined ? {} : { answer: r.answer }),
    ...(r.note === undefined ? {} : { note: r.note }),
    ...(Object.keys(reply).length > 0 ? { reply } : {}),
  };
}

function toTextLine(r: RecordItem) {
  const reply = Object.entries(replyFields(r)).map(([k, v]) => `${k}=${String(v)}`);
  // Interactive records: what we answered and why, before the fields AT sent.
  const answered = [
    ...(r.answer === undefined ? [] : [`answer=${JSON.stringify(r.answer)}`]),
    ...(r.note === undefined ? [] : [`note=${JSON.stringify(r.note)}`]),
  ];
  const detail = [
    ...reply,
    ...answered,
    ...Object.entries(r.payload)
      .filter(([, v]) => v !== "" && v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`),
  ].join(" ");
  return [r.receivedAt, r.type.padEnd(18), r.id, r.phoneNumber ?? "-", detail].join("  ");
}

/** How an event fared at a forwarding endpoint (docs/forwarding.md). */
function deliveryFields(d: DeliveryItem) {
  return {
    endpoint: d.endpoint,
    url: d.url,
    eventId: d.eventId,
    eventType: d.eventType,
    state: d.state,
    attempts: d.attempts,
    firstAttemptAt: d.firstAttemptAt,
    lastAttemptAt: d.lastAttemptAt,
    ...(d.lastStatus === undefined ? {} : { lastStatus: d.lastStatus }),
    ...(d.lastError === undefined ? {} : { lastError: d.lastError }),
    ...(d.lastResponse === undefined ? {} : { lastResponse: d.lastResponse }),
    ...(d.nextAttemptAt === undefined ? {} : { nextAttemptAt: d.nextAttemptAt }),
    ...(d.deliveredAt === undefined ? {} : { deliveredAt: d.deliveredAt }),
  };
}

function deliveryLine(d: DeliveryItem) {
  const { endpoint, url, eventType, lastAttemptAt, ...rest } = deliveryFields(d);
  const detail = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : v}`)
    .join(" ");
  return [
    lastAttemptAt,
    `↳ ${eventType}`.padEnd(18),
    `forwarded to ${endpoint} (${url})`,
    detail,
  ].join("  ");
}
