import type { CallbackType } from "./model/callbacks";
import type { QUEUES } from "./settings";

/**
 * The one route table: the CDK stack and the local server are both built from it.
 * `ack` routes validate, queue and answer at once; `interactive` routes answer AT's question
 * synchronously and queue their event for recording.
 */
export type AnswerStyle = "plain" | "twoway" | "ussd" | "voice" | "airtime";

export interface Route {
  /** Stable name: function id, log field, output name. */
  name: string;
  method: "POST";
  path: string;
  kind: "ack" | "interactive";
  recordType: CallbackType;
  /** Handler source file, relative to the repository root. */
  entry: string;
  answer: AnswerStyle;
  /** Where this URL goes in the AT dashboard. */
  dashboard: string;
  /**
   * The records table, for an interactive route that keeps state: `airtime-pending` validates
   * the pending airtime requests the application registered (a conditional update, a read), and
   * may touch no other item (IAM `dynamodb:LeadingKeys` on `AIRTIME#`).
   */
  tableAccess?: "airtime-pending";
}

const ACK_ENTRY = "functions/handlers/ack.ts";

const routes = [
  {
    name: "sms-twoway",
    method: "POST",
    path: "/api/sms/twoway",
    kind: "ack",
    recordType: "sms.incoming",
    entry: ACK_ENTRY,
    answer: "twoway",
    dashboard: "SMS → SMS Callback URLs → Incoming Messages",
  },
  {
    name: "sms-delivery-reports",
    method: "POST",
    path: "/api/sms/delivery-reports",
    kind: "ack",
    recordType: "sms.delivery",
    entry: ACK_ENTRY,
    answer: "plain",
    dashboard: "SMS → SMS Callback URLs → Delivery Reports",
  },
  {
    name: "sms-opt-out",
    method: "POST",
    path: "/api/sms/opt-out",
    kind: "ack",
    recordType: "sms.optout",
    entry: ACK_ENTRY,
    answer: "plain",
    dashboard: "SMS → SMS Callback URLs → Bulk SMS Opt Out",
  },
  {
    name: "sms-subscription",
    method: "POST",
    path: "/api/sms/subscription",
    kind: "ack",
    recordType: "sms.subscription",
    entry: ACK_ENTRY,
    answer: "plain",
    dashboard: "SMS → SMS Callback URLs → Subscription Notifications",
  },
  {
    name: "ussd-session",
    method: "POST",
    path: "/api/ussd/session",
    kind: "interactive",
    recordType: "ussd.session",
    entry: "functions/handlers/ussd-session.ts",
    answer: "ussd",
    dashboard: "USSD → Service Codes → your code → Callback URL",
  },
  {
    name: "ussd-status",
    method: "POST",
    path: "/api/ussd/status",
    kind: "ack",
    recordType: "ussd.end",
    entry: ACK_ENTRY,
    answer: "plain",
    dashboard: "USSD → Service Codes → your code → Events Callback URL",
  },
  {
    name: "voice-instruct",
    method: "POST",
    path: "/api/voice/instruct",
    kind: "interactive",
    recordType: "voice.call",
    entry: "functions/handlers/voice-instruct.ts",
    answer: "voice",
    dashboard: "Voice → Phone Numbers → your number → Callback URL",
  },
  {
    name: "voice-events",
    method: "POST",
    path: "/api/voice/events",
    kind: "ack",
    recordType: "voice.event",
    entry: ACK_ENTRY,
    answer: "plain",
    dashboard: "Voice → Phone Numbers → your number → Events Callback URL",
  },
  {
    name: "airtime-validation",
    method: "POST",
    path: "/api/airtime/validation",
    kind: "interactive",
    recordType: "airtime.validation",
    entry: "functions/handlers/airtime-validation.ts",
    answer: "airtime",
    dashboard: "Airtime → Airtime Callback URLs → Validation Callback URL",
    // Pending requests registered by the application (AIRTIME_REQUIRE_PENDING).
    tableAccess: "airtime-pending",
  },
  {
    name: "airtime-status",
    method: "POST",
    path: "/api/airtime/status",
    kind: "ack",
    recordType: "airtime.status",
    entry: ACK_ENTRY,
    answer: "plain",
    dashboard: "Airtime → Airtime Callback URLs → Status Callback URL",
  },
  {
    name: "sim-swap-status",
    method: "POST",
    path: "/api/sim-swap/status",
    kind: "ack",
    recordType: "simswap.status",
    entry: ACK_ENTRY,
    answer: "plain",
    dashboard: "Insights → SIM Swap → Callback URL",
  },
] as const satisfies readonly Route[];

export const ROUTES: readonly Route[] = routes;
/** A route's name, e.g. `sms-twoway`. */
export type RouteName = (typeof routes)[number]["name"];

/** The work queues (settings in settings.ts `QUEUES`). */
export type QueueName = keyof typeof QUEUES;

/** The queue every HTTP route sends its events to. */
export const ROUTE_QUEUE: QueueName = "events";

/** What a worker may do besides consuming its own queue: the stack grants exactly this. */
export interface WorkerGrants {
  /** Its items of the records table, and the calls on them (infra: `TABLE_ACCESS`). */
  readonly table?: "records-and-effects" | "replies";
  /** Queues it sends to (their URL as `<NAME>_QUEUE_URL`). */
  readonly sendsTo?: readonly QueueName[];
  /** Delays its own messages' retries (ChangeMessageVisibility; its queue's URL). */
  readonly delaysRetries?: boolean;
  /** Reads the AT credentials secret (`AT_CREDENTIALS_SECRET_ARN`). */
  readonly atCredentials?: boolean;
  /** Publishes to the events topic (`EVENTS_TOPIC_ARN`, docs/events.md). */
  readonly publishesEvents?: boolean;
}

/** Queue consumers, invoked by the SQS event source mapping (or the local poller). */
export interface Worker {
  name: string;
  entry: string;
  queue: QueueName;
  grants: WorkerGrants;
}

const workers = [
  {
    name: "recorder",
    entry: "functions/handlers/recorder.ts",
    queue: "events",
    // Records, SMS effects (suppressions, reply delivery status, subscriptions); reply jobs.
    grants: { table: "records-and-effects", sendsTo: ["replies"], publishesEvents: true },
  },
  {
    name: "replier",
    entry: "functions/handlers/replier.ts",
    queue: "replies",
    grants: { table: "replies", delaysRetries: true, atCredentials: true, publishesEvents: true },
  },
] as const satisfies readonly Worker[];

export const WORKERS: readonly Worker[] = workers;
export type WorkerName = (typeof workers)[number]["name"];

export const routeKey = (r: Pick<Route, "method" | "path">) => `${r.method} ${r.path}`;

export function findRoute(key: string): Route | undefined {
  return ROUTES.find((r) => routeKey(r) === key);
}
