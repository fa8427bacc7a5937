import type { ParseArgsConfig } from "node:util";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import {
  age,
  type DeadLetter,
  isForwardQueue,
  listDeadLetters,
  purgeDeadLetters,
  QUEUE_NAMES,
  type QueuePair,
  redriveByCopy,
  redriveOnAws,
} from "../../local/dead-letters";
import { readLocalState } from "../local-state";
import { parseCommand, UsageError } from "./command";

export const DLQ_USAGE = `Usage: npm run dlq -- list|show <messageId>|redrive|purge [--queue events|replies|forward-<endpoint>] [--json]
                     [--stage S [--region R]]
Dead letters of the local stack (\`npm start\`), or of a deployed stage (AtCallbacks-<stage>).
  list       each message: age, receives, route, type, AT id, why it failed
  show ID    one message in full (its body is the queued callback or reply job)
  redrive    moves the messages back to their work queue and reports what moved
Each forwarding endpoint has its own: forward-<endpoint> (events it refused or failed for a day).
  purge      deletes them (--queue is required)`;

const OPTIONS = {
  queue: { type: "string" },
  stage: { type: "string" },
  region: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} satisfies ParseArgsConfig["options"];

interface Queues {
  client: SQSClient;
  pairs: QueuePair[];
  local: boolean;
  where: string;
}

/** The local stack's queues, from the state `npm start` leaves. */
export function localQueues(): Queues {
  let state: ReturnType<typeof readLocalState>;
  try {
    state = readLocalState();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const client = new SQSClient({
    endpoint: state.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  return {
    client,
    local: true,
    where: "the local stack",
    pairs: [
      { name: "events", url: state.eventsQueueUrl, dlqUrl: state.eventsDlqUrl },
      { name: "replies", url: state.repliesQueueUrl, dlqUrl: state.repliesDlqUrl },
      ...(state.forwardQueues ?? []).flatMap((q) =>
        isForwardQueue(q.name) ? [{ name: q.name, url: q.url, dlqUrl: q.dlqUrl }] : [],
      ),
    ],
  };
}

/**
 * A deployed stage's queues, found by name: CloudFormation names them
 * `AtCallbacks-<stage>-<Events|Replies>Queue…-<suffix>`, the dead-letter queue's name
 * containing `DeadLetter`.
 */
async function stageQueues(stage: string, region: string | undefined): Promise<Queues> {
  const resolvedRegion = region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!resolvedRegion) throw new UsageError("--region (or AWS_REGION) is needed with --stage");
  const client = new SQSClient({ region: resolvedRegion });
  const prefix = `AtCallbacks-${stage}-`;
  const { QueueUrls = [] } = await client.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  const pairs = stagePairs(QueueUrls);
  if (pairs.length === 0) {
    throw new UsageError(
      `no queues named ${prefix}… in ${resolvedRegion}: is the stage deployed there?`,
    );
  }
  return { client, pairs, local: false, where: `stage ${stage} (${resolvedRegion})` };
}

/** The work queues and dead-letter queues among a stage's queue URLs, by CloudFormation's names. */
export function stagePairs(queueUrls: readonly string[]): QueuePair[] {
  const pairs: QueuePair[] = [];
  for (const name of QUEUE_NAMES) {
    const ours = queueUrls.filter((u) =>
      (u.split("/").pop() ?? "").toLowerCase().includes(`-${name}queue`),
    );
    const dlqUrl = ours.find((u) => /deadletter/i.test(u));
    const url = ours.find((u) => !/deadletter/i.test(u));
    if (url && dlqUrl) pairs.push({ name, url, dlqUrl });
  }
  // Forwarding endpoints: `<stack>-Forward<Endpoint>Queue…` (infra/constructs/forwarding.ts).
  for (const url of queueUrls) {
    const queueName = url.split("/").pop() ?? "";
    const match = /-Forward([A-Za-z0-9]+?)Queue(?!DeadLetter)/.exec(queueName);
    if (!match?.[1] || /deadletter/i.test(queueName)) continue;
    const prefix = queueName.slice(0, match.index + match[0].length);
    const dlqUrl = queueUrls.find((u) => {
      const n = u.split("/").pop() ?? "";
      return n.startsWith(prefix) && /deadletter/i.test(n);
    });
    if (dlqUrl) pairs.push({ name: `forward-${match[1].toLowerCase()}`, url, dlqUrl });
  }
  return pairs;
}

export async function dlq(
  argv: string[],
  out: (line: string) => void,
  queues?: Queues,
): Promise<number> {
  const { values: v, positionals } = parseCommand(argv, OPTIONS);
  if (v.help) {
    out(DLQ_USAGE);
    return 0;
  }
  const [action, id] = positionals;
  if (!action || !["list", "show", "redrive", "purge"].includes(action)) {
    throw new UsageError(
      action ? `unknown action ${action}` : "name an action: list, show, redrive or purge",
    );
  }
  if (action === "show" && !id) throw new UsageError("show needs the message id (from `list`)");
  if (
    v.queue !== undefined &&
    !(QUEUE_NAMES as readonly string[]).includes(v.queue) &&
    !isForwardQueue(v.queue)
  ) {
    throw new UsageError(`--queue must be events, replies or forward-<endpoint>, not ${v.queue}`);
  }
  if (action === "purge" && !v.queue)
    throw new UsageError("purge needs --queue events or --queue replies");
  const target = queues ?? (v.stage ? await stageQueues(v.stage, v.region) : localQueues());
  const pairs = target.pairs.filter((p) => !v.queue || p.name === v.queue);

  try {
    switch (action) {
      case "list": {
        for (const pair of pairs) {
          const letters = await listDeadLetters(target.client, pair);
          if (v.json) {
            for (const dl of letters) out(JSON.stringify(withoutBody(dl)));
            continue;
          }
          out(
            `${pair.name} dead-letter queue: ${letters.length} message${letters.length === 1 ? "" : "s"}`,
          );
          for (const dl of letters) out(`  ${line(dl)}`);
        }
        return 0;
      }
      case "show": {
        for (const pair of pairs) {
          const found = (await listDeadLetters(target.client, pair)).find(
            (d) => d.messageId === id,
          );
          if (!found) continue;
          if (v.json) out(JSON.stringify(found));
          else {
            out(line(found));
            out(`why: ${found.reason}`);
            if (!target.local) {
              const worker =
                found.queue === "events"
                  ? "recorder"
                  : found.queue === "replies"
                    ? "replier"
                    : `${found.queue} forwarder`;
              out(
                `logs: in CloudWatch Logs Insights, on the ${worker} function's log group: fields @timestamp, error.name, error.message | filter sqsMessageId = "${found.messageId}"`,
              );
            }
            out(`body: ${prettyBody(found.body)}`);
          }
          return 0;
        }
        out(`no dead letter ${id} in ${target.where}`);
        return 1;
      }
      case "redrive": {
        for (const pair of pairs) {
          const moved = target.local
            ? await redriveByCopy(target.client, pair)
            : await redriveOnAws(target.client, pair);
          if (v.json) out(JSON.stringify({ queue: pair.name, ...moved }));
          else if (moved.taskHandle)
            out(
              `${pair.name}: moving about ${moved.moved} message(s) back (SQS move task ${moved.taskHandle})`,
            );
          else
            out(
              `${pair.name}: moved ${moved.moved} message(s) back to the work queue${moved.messageIds.length ? `: ${moved.messageIds.join(", ")}` : ""}`,
            );
        }
        return 0;
      }
      default: {
        for (const pair of pairs) {
          const purged = await purgeDeadLetters(target.client, pair);
          out(
            v.json
              ? JSON.stringify({ queue: pair.name, purged })
              : `${pair.name}: purged ${purged} message(s)`,
          );
        }
        return 0;
      }
    }
  } finally {
    if (!queues) target.client.destroy();
  }
}

const withoutBody = ({ body: _body, ...rest }: DeadLetter) => rest;

function line(dl: DeadLetter): string {
  return [
    age(dl.sentAt).padStart(4),
    `receives=${dl.receiveCount}`,
    dl.route,
    dl.type,
    dl.atId,
    dl.messageId,
    dl.reason,
  ].join("  ");
}

function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
