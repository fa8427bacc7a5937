import { existsSync, readFileSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/constants";
import { loadOutputs, output, regionOf } from "./deployed-stack";

/** Where `npm start` leaves the local endpoints for the other scripts to find. */
export const LOCAL_STATE_FILE = ".local/stack.json";

export interface LocalState {
  /** The `npm start` process that wrote this file (absent in files of older versions). */
  pid?: number;
  /** Where the callback routes are served, and the first valid callback key. */
  url?: string;
  callbackKey?: string;
  /** The local inspector page (loopback only). */
  inspectorUrl?: string;
  tableName: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  eventsQueueUrl: string;
  eventsDlqUrl: string;
  repliesQueueUrl: string;
  repliesDlqUrl: string;
  /** The embedded SNS and the events topic (docs/events.md); absent in files of older versions. */
  snsEndpoint?: string;
  eventsTopicArn?: string;
  /** The queues of `npm start -- --forward-to` endpoints (`forward-<endpoint>`), for npm run dlq. */
  forwardQueues?: { name: string; url: string; dlqUrl: string }[];
  /** Linux thread ids of the stack's threads by what they run (LocalStack.threads), for the bench. */
  threads?: Record<string, number>;
}

/**
 * The state of another `npm start` still running in this checkout, if any: two would share (and
 * the first to stop would delete) the one state file the other scripts read.
 */
export function runningStack(): (LocalState & { pid: number }) | undefined {
  if (!existsSync(LOCAL_STATE_FILE)) return undefined;
  let state: LocalState;
  try {
    state = JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as LocalState;
  } catch {
    return undefined;
  }
  const { pid } = state;
  if (typeof pid !== "number" || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return { ...state, pid };
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM" ? { ...state, pid } : undefined;
  }
}

export interface TableTarget {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** How a script is told which table to work on (its `--stage`, `--table`… options). */
export interface TableOptions {
  stage?: string | undefined;
  /** A recorded `aws cloudformation describe-stacks` answer, read instead of asking AWS. */
  "describe-stacks"?: string | undefined;
  table?: string | undefined;
  region?: string | undefined;
  endpoint?: string | undefined;
}

/**
 * The table a script works on: a deployed stage's (`--stage S`: its `TableName` output, in the
 * region its outputs name unless `--region`), a deployed table by name (`--table` [`--region`]),
 * any DynamoDB-compatible endpoint (`--endpoint --table`, or `--endpoint` with `--stage`), or
 * the running local stack. Credentials for AWS come from the usual AWS configuration. Throws an
 * Error whose message tells the user what to do.
 */
export function resolveTable(options: TableOptions): TableTarget {
  if (options.stage !== undefined) {
    if (options.table) throw new Error("give --stage or --table, not both");
    const outputs = loadOutputs({
      stage: options.stage,
      region: options.region,
      describeStacksFile: options["describe-stacks"],
    });
    const tableName = output(outputs, "TableName");
    if (options.endpoint) return { client: localDocumentClient(options.endpoint), tableName };
    const region = options.region ?? regionOf(outputs) ?? process.env.AWS_REGION;
    if (!region) throw new Error("--region (or AWS_REGION) is needed with --stage");
    return { client: DynamoDBDocumentClient.from(new DynamoDBClient({ region })), tableName };
  }
  const { table, endpoint } = options;
  if (table && !endpoint) {
    const region = options.region ?? process.env.AWS_REGION;
    if (!region) throw new Error("--region (or AWS_REGION) is needed with --table");
    return {
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
      tableName: table,
    };
  }
  if (endpoint) {
    if (!table) throw new Error("--table is needed with --endpoint");
    return { client: localDocumentClient(endpoint), tableName: table };
  }
  if (!existsSync(LOCAL_STATE_FILE)) {
    throw new Error(
      "No local stack is running here: start one with `npm start`, or name a deployed table with --table NAME --region R.",
    );
  }
  const state = readLocalState();
  return { client: localDocumentClient(state.dynamodbEndpoint), tableName: state.tableName };
}

/** The running local stack's endpoints; throws with what to do when there is none. */
export function readLocalState(): LocalState {
  if (!existsSync(LOCAL_STATE_FILE)) {
    throw new Error(
      "No local stack is running here: start one with `npm start` (or name a deployment, see --help).",
    );
  }
  return JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as LocalState;
}

export const localDocumentClient = (endpoint: string) =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
