import "./quiet-sdk";
import { SNSClient } from "@aws-sdk/client-sns";
import { type CallbackEvent, EVENT_TYPES, storedEvents } from "../functions/events/event";
import { MAX_PUBLISH_BATCH, snsEventPublisher } from "../functions/events/publisher";
import { parseSigningSecrets, signDelivery } from "../functions/forward/signature";
import { CALLBACK_TYPES } from "../functions/model/callbacks";
import { queryRecords, type RecordFilter } from "../functions/table/record-store";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/constants";
import { cli } from "./cli";
import { loadOutputs, output, regionOf } from "./deployed-stack";
import { knownForwardSecret } from "./local-config";
import { readLocalState, resolveTable } from "./local-state";

const USAGE = `Usage: npm run events -- replay --since <ISO date | 30m | 6h | 7d> [--type T] [--to URL]
                         [--limit N] [--stage S [--region R]
                         | --endpoint URL --table NAME --sns-endpoint URL --topic ARN]
Publishes again the events of the records received since then (docs/events.md#replay), with
their original ids, so consumers that dedupe on the id see each one once: to the events topic of
the local stack started by \`npm start\`, or of a deployed stage (--stage: the table, topic and
region are read from the stack's outputs), or any table and topic. --to URL posts each event to that URL instead (one
request per event), signed as \`npm start -- --forward-to\` signs (Standard Webhooks): with FORWARD_SECRET (whsec_...,
e.g. a stage endpoint's secret) or the local one kept in .local/forward-secret.
--type: ${EVENT_TYPES.join(", ")}.`;

// The command comes first (`replay`); the options parser takes only options.
const command = process.argv[2]?.startsWith("-") ? undefined : process.argv.splice(2, 1)[0];
const { values, fail, orFail } = cli(USAGE, {
  since: { type: "string" },
  type: { type: "string" },
  to: { type: "string" },
  limit: { type: "string", default: "100000" },
  stage: { type: "string" },
  region: { type: "string" },
  "describe-stacks": { type: "string" },
  table: { type: "string" },
  endpoint: { type: "string" },
  topic: { type: "string" },
  "sns-endpoint": { type: "string" },
  help: { type: "boolean", default: false },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (command !== "replay") fail(command ? `unknown command ${command}` : "say what to do: replay");

const since = orFail(() => sinceTime(values.since ?? fail("--since is required"), new Date()));
const type = values.type;
if (type !== undefined && !(EVENT_TYPES as readonly string[]).includes(type))
  fail(`--type must be one of ${EVENT_TYPES.join(", ")}`);
const limit = Number(values.limit);
if (!Number.isInteger(limit) || limit < 1)
  fail(`--limit must be a positive integer, not ${values.limit}`);
const to = values.to === undefined ? undefined : orFail(() => targetUrl(values.to as string));
const signing = to
  ? (orFail(() => knownForwardSecret(process.env)) ??
    fail(
      "--to signs each event: set FORWARD_SECRET (whsec_..., your receiver's secret), or run npm start -- --forward-to once to create the local one",
    ))
  : undefined;

const { client, tableName } = orFail(() => resolveTable(values));
// The records of the event's type: a reply state change is read from its `sms.reply` record.
const recordType = type === undefined ? undefined : isCallbackType(type) ? type : "sms.reply";
const filter: RecordFilter = { limit, since, ...(recordType ? { type: recordType } : {}) };
const stage = values.stage ?? "local";

try {
  const records = await queryRecords(client, tableName, filter);
  const events = records
    .reverse() // oldest first, as they were received
    .flatMap((record) => storedEvents(record, stage))
    .filter((event) => type === undefined || event.type === type);
  const sent =
    to && signing
      ? await postAll(events, to, parseSigningSecrets(signing.secret))
      : await publishAll(events);
  const signedWith = !signing
    ? ""
    : signing.source === "env"
      ? ", signed with FORWARD_SECRET"
      : ", signed with the secret in .local/forward-secret";
  console.log(
    `Replayed ${sent} of ${events.length} event(s) received since ${since} to ${to ?? "the events topic"}${signedWith}.`,
  );
  if (sent < events.length) process.exit(1);
} catch (error) {
  console.error(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

function isCallbackType(t: string): t is (typeof CALLBACK_TYPES)[number] {
  return (CALLBACK_TYPES as readonly string[]).includes(t);
}

/** An ISO date, or a duration back from now: `90s`, `30m`, `6h`, `7d`. */
function sinceTime(text: string, now: Date): string {
  const duration = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (duration) {
    const unit = { s: 1, m: 60, h: 3_600, d: 86_400 }[duration[2] as "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(duration[1]) * unit * 1000).toISOString();
  }
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new Error(`--since must be an ISO date or a duration (30m, 6h, 7d), not ${text}`);
  }
  return new Date(time).toISOString();
}

function targetUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--to must be a URL, not ${text}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error("--to must be an http(s) URL");
  return url.href;
}

/** Publishes to the topic in PublishBatch calls of 10; returns how many went out. */
async function publishAll(events: CallbackEvent[]): Promise<number> {
  const { sns, topicArn } = topic();
  const publisher = snsEventPublisher(sns, topicArn);
  let sent = 0;
  try {
    for (let i = 0; i < events.length; i += MAX_PUBLISH_BATCH) {
      const batch = events.slice(i, i + MAX_PUBLISH_BATCH);
      try {
        await publisher.publish(batch);
        sent += batch.length;
      } catch (error) {
        // A batch is all-or-error to its caller: publish its events one by one to tell them apart.
        for (const event of batch) {
          try {
            await publisher.publish([event]);
            sent++;
          } catch (e) {
            console.error(`${event.id} ${event.type}: ${e instanceof Error ? e.message : e}`);
          }
        }
        if (sent === 0) throw error;
      }
    }
  } finally {
    sns.destroy();
  }
  return sent;
}

/** The events topic to publish to: the local stack's, or a deployed stage's. */
function topic(): { sns: SNSClient; topicArn: string } {
  if (values.topic !== undefined) {
    const endpoint = values["sns-endpoint"];
    const region = values.region ?? process.env.AWS_REGION;
    return {
      sns: endpoint
        ? new SNSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS })
        : new SNSClient(region ? { region } : {}),
      topicArn: values.topic,
    };
  }
  if (values.table !== undefined) throw new Error("--topic ARN is needed with --table");
  if (values.stage !== undefined) {
    const outputs = loadOutputs({
      stage: values.stage,
      region: values.region,
      describeStacksFile: values["describe-stacks"],
    });
    const topicArn = output(outputs, "EventsTopicArn");
    const region = values.region ?? regionOf(outputs) ?? process.env.AWS_REGION;
    if (!region) throw new Error("--region (or AWS_REGION) is needed with --stage");
    return { sns: new SNSClient({ region }), topicArn };
  }
  const state = readLocalState();
  if (!state.eventsTopicArn || !state.snsEndpoint) {
    throw new Error("the running local stack has no events topic: restart `npm start`");
  }
  return {
    sns: new SNSClient({
      endpoint: state.snsEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
    topicArn: state.eventsTopicArn,
  };
}

/** Posts each event as a signed JSON body; a 2xx counts as delivered. No redirect is followed. */
async function postAll(events: CallbackEvent[], url: string, keys: Buffer[]): Promise<number> {
  let sent = 0;
  for (const event of events) {
    try {
      const body = JSON.stringify(event);
      const signed = signDelivery(keys, event.id, Math.floor(Date.now() / 1000), body);
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...signed },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (res.ok) sent++;
      else console.error(`${event.id} ${event.type}: ${url} answered ${res.status}`);
    } catch (error) {
      console.error(
        `${event.id} ${event.type}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return sent;
}
