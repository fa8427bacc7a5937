import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { parseAirtimeRules } from "../functions/engines/airtime/validation";
import { LONGEST_MESSAGE_LIFE_DAYS } from "../functions/settings";

/** Deployment settings, read from CDK context (`-c key=value` or cdk.json). */
export interface StageConfig {
  /** Part of the stack name, so several stages can live in one account. */
  readonly stageName: string;
  /** Steady-state requests per second allowed by the API stage. */
  readonly throttleRate: number;
  /** Requests allowed in a burst above the rate. */
  readonly throttleBurst: number;
  readonly logRetentionDays: RetentionDays;
  /**
   * Subscribed to the alarm topic when set. A stage that keeps its data (`destroyable` false)
   * must name one, or say `none` (someone subscribes the AlarmTopicArn output another way).
   */
  readonly alarmEmail: string | undefined;
  /** Concurrency guarantees (docs/deploy.md, "Concurrency"). */
  readonly concurrency: {
    /** Reserved for each interactive function (USSD, voice, airtime validation); 0: none. */
    readonly interactiveReserved: number;
    /** `MaximumConcurrency` of the recorder's and the replier's event source mappings. */
    readonly recorderMax: number;
    readonly replierMax: number;
  };
  /** X-Ray active tracing on every function (no SDK in the bundles: docs/deploy.md). */
  readonly tracing: boolean;
  /** Records expire this many days after they are received; unset keeps them forever. */
  readonly recordTtlDays: number | undefined;
  /** Dev stages only: the table and secrets are deleted with the stack. */
  readonly destroyable: boolean;
  /** `POWERTOOLS_LOG_LEVEL` of every function (default INFO). */
  readonly logLevel: string | undefined;
  /** The airtime validation rules, as the function's `AIRTIME_*` environment (README). */
  readonly airtime: Readonly<Record<string, string>>;
  /** The reply worker's settings, passed as its environment (docs/replies.md). */
  readonly replies: {
    /** `AT_SHORTCODE`: the sender of every reply. */
    readonly shortcode: string | undefined;
    /** `SMS_REPLY_TEMPLATE`, `SMS_REPLY_KEYWORDS`, `AT_PREMIUM_KEYWORDS`. */
    readonly template: string | undefined;
    readonly keywords: string | undefined;
    readonly premiumKeywords: string | undefined;
  };
}

export const DEFAULTS = {
  stageName: "prod",
  throttleRate: 50,
  throttleBurst: 100,
  logRetentionDays: RetentionDays.ONE_MONTH,
  destroyable: false,
  /**
   * Fits an account's default 1,000 concurrent executions: 3 × 25 reserved for what AT waits
   * on (USSD's answer is due within seconds), at most 20 + 5 taken by a queue backlog, and
   * Lambda's required 100 unreserved left many times over.
   */
  interactiveReservedConcurrency: 25,
  recorderMaxConcurrency: 20,
  replierMaxConcurrency: 5,
  tracing: false,
} as const;

/** What `alarmEmail` says when alarms are delivered some other way. */
export const NO_ALARM_EMAIL = "none";

type ContextReader = (key: string) => unknown;

const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"];

/** Context option → the airtime validation function's environment variable. */
const AIRTIME_CONTEXT = {
  airtimeAllowedIps: "AIRTIME_ALLOWED_IPS",
  airtimeCurrencies: "AIRTIME_CURRENCIES",
  airtimeLimits: "AIRTIME_LIMITS",
  airtimeRequirePending: "AIRTIME_REQUIRE_PENDING",
} as const;

/**
 * Parses and checks the context, failing synthesis with a clear message. Values given with
 * `-c` arrive as strings, values in cdk.json keep their JSON type: both are accepted.
 */
export function readConfig(context: ContextReader): StageConfig {
  const stageName = text(context, "stageName") ?? DEFAULTS.stageName;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(stageName)) {
    throw new Error(
      `context stageName "${stageName}" must start with a letter and contain only letters, digits and '-' (max 40)`,
    );
  }
  const logRetentionDays =
    positiveInteger(context, "logRetentionDays") ?? DEFAULTS.logRetentionDays;
  if (!Object.values(RetentionDays).includes(logRetentionDays)) {
    const allowed = Object.values(RetentionDays).filter((d) => typeof d === "number" && d > 0);
    throw new Error(`context logRetentionDays must be one of ${allowed.join(", ")}`);
  }
  const destroyable = flag(context, "destroyable") ?? DEFAULTS.destroyable;
  const alarmSetting = text(context, "alarmEmail");
  if (alarmSetting === undefined && !destroyable) {
    throw new Error(
      `stage ${stageName} has no alarmEmail: its alarms would reach nobody. Pass -c alarmEmail=you@example.com (or set it in cdk.json), or -c alarmEmail=${NO_ALARM_EMAIL} if you subscribe the AlarmTopicArn output yourself; dev stages: -c destroyable=true`,
    );
  }
  const alarmEmail = alarmSetting === NO_ALARM_EMAIL ? undefined : alarmSetting;
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new Error(`context alarmEmail "${alarmEmail}" is not an e-mail address`);
  }
  const maxConcurrency = (key: string, fallback: number) => {
    const n = positiveInteger(context, key) ?? fallback;
    if (n < 2 || n > 1000)
      throw new Error(`context ${key} must be between 2 and 1000 (Lambda's bounds)`);
    return n;
  };
  const reserved = context("interactiveReservedConcurrency");
  const interactiveReserved =
    reserved === 0 || reserved === "0"
      ? 0
      : (positiveInteger(context, "interactiveReservedConcurrency") ??
        DEFAULTS.interactiveReservedConcurrency);
  const logLevel = text(context, "logLevel")?.toUpperCase();
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    throw new Error(`context logLevel must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const airtime: Record<string, string> = {};
  for (const [key, variable] of Object.entries(AIRTIME_CONTEXT)) {
    const value = context(key);
    if (value !== undefined && value !== null && value !== "") airtime[variable] = String(value);
  }
  try {
    parseAirtimeRules(airtime);
  } catch (error) {
    throw new Error(
      `context airtime rules: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const deadline = positiveInteger(context, "airtimeDeadlineMs");
  if (deadline !== undefined) airtime.AIRTIME_DEADLINE_MS = String(deadline);
  return {
    stageName,
    throttleRate: positiveInteger(context, "throttleRate") ?? DEFAULTS.throttleRate,
    throttleBurst: positiveInteger(context, "throttleBurst") ?? DEFAULTS.throttleBurst,
    logRetentionDays,
    alarmEmail,
    concurrency: {
      interactiveReserved,
      recorderMax: maxConcurrency("recorderMaxConcurrency", DEFAULTS.recorderMaxConcurrency),
      replierMax: maxConcurrency("replierMaxConcurrency", DEFAULTS.replierMaxConcurrency),
    },
    tracing: flag(context, "tracing") ?? DEFAULTS.tracing,
    recordTtlDays: recordTtlDays(context),
    destroyable,
    logLevel,
    airtime,
    replies: {
      shortcode: text(context, "atShortcode"),
      // An empty template is meaningful: no replies at all.
      template: context("smsReplyTemplate") === "" ? "" : text(context, "smsReplyTemplate"),
      keywords: text(context, "smsReplyKeywords"),
      premiumKeywords: text(context, "atPremiumKeywords"),
    },
  };
}

function text(context: ContextReader, key: string): string | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new Error(`context ${key} must be a string`);
  return value;
}

function positiveInteger(context: ContextReader, key: string): number | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === "") return undefined;
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) {
    throw new Error(`context ${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

function flag(context: ContextReader, key: string): boolean | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Records (replies included) must outlive any queued message: a job redriven from a dead-letter
 * queue after its reply expired would find no reply and send the SMS a second time.
 */
function recordTtlDays(context: ContextReader): number | undefined {
  const days = positiveInteger(context, "recordTtlDays");
  if (days !== undefined && days < LONGEST_MESSAGE_LIFE_DAYS) {
    throw new Error(
      `context recordTtlDays ${days} is shorter than a queued message can live (${LONGEST_MESSAGE_LIFE_DAYS} days: queue plus dead-letter queue retention); use at least ${LONGEST_MESSAGE_LIFE_DAYS}`,
    );
  }
  return days;
}
