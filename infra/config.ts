import { RetentionDays } from "aws-cdk-lib/aws-logs";
import * as v from "valibot";
import { parseAirtimeRules } from "../functions/engines/airtime/validation";
import { type ForwardEndpoint, parseForwardTo } from "../functions/forward/endpoints";
import { parseReplyKeywords } from "../functions/reply/policy";
import { ROUTES } from "../functions/routes";
import { LONGEST_MESSAGE_LIFE_DAYS } from "../functions/settings";
import { LEGACY_INDEXES } from "../functions/table/keys";

const ROUTE_NAMES = ROUTES.map((route) => route.name);
type LegacyIndexName = keyof typeof LEGACY_INDEXES;
const LEGACY_INDEX_NAMES = Object.keys(LEGACY_INDEXES) as LegacyIndexName[];

/** Deployment settings, read from CDK context (`-c key=value` or cdk.json). */
export interface StageConfig {
  /** Part of the stack name, so several stages can live in one account. */
  readonly stageName: string;
  /** Steady-state requests per second allowed by the API stage. */
  readonly throttleRate: number;
  /** Requests allowed in a burst above the rate. */
  readonly throttleBurst: number;
  /** Routes with throttles of their own instead of the stage's (docs/cost.md, "Bursts"). */
  readonly routeThrottles: Readonly<Record<string, Throttle>>;
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
  /** Indexes of an earlier version kept while an existing table is upgraded (docs/deploy.md). */
  readonly legacyIndexes: readonly LegacyIndexName[];
  /** Dev stages only: the table and secrets are deleted with the stack. */
  readonly destroyable: boolean;
  /** The application log level of every function (Lambda's logging configuration; default INFO). */
  readonly logLevel: LogLevel | undefined;
  /** The airtime validation rules, as the function's `AIRTIME_*` environment (docs/engines.md). */
  readonly airtime: Readonly<Record<string, string>>;
  /**
   * A custom domain for the callback URLs, so they survive a replaced API (docs/deploy.md,
   * "A custom domain"): an ACM certificate of the API's region, or a Route 53 hosted zone in
   * which the stack validates one and adds the domain's alias record.
   */
  readonly domain: CustomDomain | undefined;
  /** The reply worker's settings, passed as its environment (docs/replies.md). */
  readonly replies: {
    /** `AT_SHORTCODE`: the sender of every reply. */
    readonly shortcode: string | undefined;
    /** `SMS_REPLY_TEMPLATE`, `SMS_REPLY_KEYWORDS`, `AT_PREMIUM_KEYWORDS`. */
    readonly template: string | undefined;
    readonly keywords: string | undefined;
    readonly premiumKeywords: string | undefined;
  };
  /** The user's endpoints every event is forwarded to, signed (docs/forwarding.md). */
  readonly forwardTo: readonly ForwardEndpoint[];
}

export interface Throttle {
  readonly rate: number;
  readonly burst: number;
}

export interface CustomDomain {
  readonly name: string;
  readonly certificateArn: string | undefined;
  readonly hostedZone: { readonly id: string; readonly name: string } | undefined;
}

export const DEFAULTS = {
  stageName: "prod",
  throttleRate: 50,
  throttleBurst: 100,
  /**
   * A bulk send of N messages brings N to 4N delivery reports within minutes (docs/cost.md,
   * "Bursts"): 10,000 messages sent at AT's pace come back at up to ~1,000 a second.
   */
  routeThrottles: {
    "sms-delivery-reports": { rate: 1_000, burst: 2_000 },
  } as Readonly<Record<string, Throttle>>,
  /** About 13 months: a year of history and the month before it. 0 keeps records forever. */
  recordTtlDays: 396,
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

/** Lambda's application log levels. */
const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** Context option → the airtime validation function's environment variable. */
const AIRTIME_CONTEXT = {
  airtimeAllowedIps: "AIRTIME_ALLOWED_IPS",
  airtimeCurrencies: "AIRTIME_CURRENCIES",
  airtimeLimits: "AIRTIME_LIMITS",
  airtimeRequirePending: "AIRTIME_REQUIRE_PENDING",
} as const;
const AIRTIME_OPTIONS = [
  "airtimeAllowedIps",
  "airtimeCurrencies",
  "airtimeLimits",
  "airtimeRequirePending",
] as const satisfies readonly (keyof typeof AIRTIME_CONTEXT)[];

const isBlank = (value: unknown) => value === undefined || value === null || value === "";
/** A context option: blank (unset, null, "") is unset, anything else must pass `schema`. */
const option = <T>(schema: v.GenericSchema<unknown, T>) =>
  v.pipe(
    v.unknown(),
    v.transform((value) => (isBlank(value) ? undefined : value)),
    v.optional(schema),
  );

const text = v.string("must be a string");
const toNumber = (value: unknown) => (typeof value === "string" ? Number(value) : value);
const positiveInteger = v.pipe(
  v.unknown(),
  v.check(
    (value) => {
      const n = toNumber(value);
      return typeof n === "number" && Number.isInteger(n) && n > 0;
    },
    (issue) => `must be a positive integer, got ${JSON.stringify(issue.input)}`,
  ),
  v.transform((value) => Number(value)),
);
const flag = v.pipe(
  v.unknown(),
  v.check(
    (value) => value === true || value === false || value === "true" || value === "false",
    (issue) => `must be true or false, got ${JSON.stringify(issue.input)}`,
  ),
  v.transform((value) => value === true || value === "true"),
);
/** A `MaximumConcurrency` of an event source mapping. */
const maxConcurrency = v.pipe(
  positiveInteger,
  v.minValue(2, "must be between 2 and 1000 (Lambda's bounds)"),
  v.maxValue(1000, "must be between 2 and 1000 (Lambda's bounds)"),
);
const RETENTION_DAYS = Object.values(RetentionDays).filter(
  (d): d is RetentionDays => typeof d === "number" && d > 0,
);
/** Airtime rules are passed on as the function's environment, as text. */
const airtimeOption = option(v.pipe(v.unknown(), v.transform(String)));

/** The context options, each with the schema of its value (-c strings and cdk.json JSON alike). */
const contextSchema = v.object({
  stageName: option(
    v.pipe(
      text,
      v.regex(
        /^[A-Za-z][A-Za-z0-9-]{0,39}$/,
        (issue) =>
          `"${issue.input}" must start with a letter and contain only letters, digits and '-' (max 40)`,
      ),
    ),
  ),
  throttleRate: option(positiveInteger),
  throttleBurst: option(positiveInteger),
  logRetentionDays: option(
    v.pipe(
      positiveInteger,
      v.picklist(RETENTION_DAYS, `must be one of ${RETENTION_DAYS.join(", ")}`),
    ),
  ),
  alarmEmail: option(
    v.pipe(
      text,
      v.check(
        (email) => email === NO_ALARM_EMAIL || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email),
        (issue) => `"${issue.input}" is not an e-mail address`,
      ),
    ),
  ),
  interactiveReservedConcurrency: option(
    v.union([v.literal(0), v.literal("0"), positiveInteger], (issue) => {
      return `must be 0 or a positive integer, got ${JSON.stringify(issue.input)}`;
    }),
  ),
  recorderMaxConcurrency: option(maxConcurrency),
  replierMaxConcurrency: option(maxConcurrency),
  tracing: option(flag),
  // Records (replies included) must outlive any queued message: a job redriven from a
  // dead-letter queue after its reply expired would find no reply and send the SMS again.
  recordTtlDays: option(
    v.union([
      v.pipe(
        v.union([v.literal(0), v.literal("0")]),
        v.transform(() => 0),
      ),
      v.pipe(
        positiveInteger,
        v.minValue(
          LONGEST_MESSAGE_LIFE_DAYS,
          (issue) =>
            `${issue.input} is shorter than a queued message can live (${LONGEST_MESSAGE_LIFE_DAYS} days: queue plus dead-letter queue retention); use at least ${LONGEST_MESSAGE_LIFE_DAYS}, or 0 to keep records forever`,
        ),
      ),
    ]),
  ),
  routeThrottles: option(
    v.pipe(
      v.unknown(),
      v.transform((value) => {
        if (typeof value !== "string") return value;
        try {
          return JSON.parse(value) as unknown;
        } catch {
          return value;
        }
      }),
      v.record(
        v.picklist(ROUTE_NAMES, `names no route; routes are ${ROUTE_NAMES.join(", ")}`),
        v.strictObject(
          { rate: positiveInteger, burst: positiveInteger },
          'must be {"rate": <requests/s>, "burst": <requests>}',
        ),
        'must be a JSON object like {"sms-delivery-reports": {"rate": 1000, "burst": 2000}}',
      ),
    ),
  ),
  legacyIndexes: option(
    v.pipe(
      text,
      v.transform((list) =>
        list
          .split(",")
          .map((name) => name.trim())
          .filter((name) => name !== ""),
      ),
      v.array(
        v.picklist(
          LEGACY_INDEX_NAMES,
          `must be a comma-separated list of ${LEGACY_INDEX_NAMES.join(", ")}`,
        ),
      ),
    ),
  ),
  destroyable: option(flag),
  logLevel: option(
    v.pipe(
      text,
      v.transform((level) => level.toUpperCase()),
      v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`),
    ),
  ),
  airtimeAllowedIps: airtimeOption,
  airtimeCurrencies: airtimeOption,
  airtimeLimits: airtimeOption,
  airtimeRequirePending: airtimeOption,
  airtimeDeadlineMs: option(positiveInteger),
  atShortcode: option(text),
  // An empty template is meaningful: no replies at all.
  smsReplyTemplate: v.pipe(
    v.unknown(),
    v.transform((value) => (value === null ? undefined : value)),
    v.optional(text),
  ),
  smsReplyKeywords: option(text),
  atPremiumKeywords: option(text),
  domainName: option(
    v.pipe(
      text,
      v.regex(
        /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        (issue) => `"${issue.input}" is not a domain name like callbacks.example.com`,
      ),
    ),
  ),
  certificateArn: option(
    v.pipe(
      text,
      v.regex(
        /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/,
        (issue) => `"${issue.input}" is not an ACM certificate ARN`,
      ),
    ),
  ),
  hostedZoneId: option(
    v.pipe(
      text,
      v.regex(/^Z[A-Z0-9]{1,31}$/, (issue) => `"${issue.input}" is not a Route 53 hosted zone id`),
    ),
  ),
  hostedZoneName: option(text),
  // name=URL entries (a -c string), or a list of {name, url, types} in cdk.json.
  forwardTo: option(v.unknown()),
});

/**
 * Parses and checks the context, failing synthesis with a clear message that names the option.
 * Values given with `-c` arrive as strings, values in cdk.json keep their JSON type: both are
 * accepted. Settings a function checks at cold start are checked here with the same code.
 */
export function readConfig(explicit: ContextReader): StageConfig {
  const context = withStageSettings(explicit);
  const raw = Object.fromEntries(Object.keys(contextSchema.entries).map((k) => [k, context(k)]));
  const result = v.safeParse(contextSchema, raw);
  if (!result.success) {
    const [issue] = result.issues;
    throw new Error(`context ${issue ? `${v.getDotPath(issue)} ${issue.message}` : "is invalid"}`);
  }
  const c = result.output;
  const stageName = c.stageName ?? DEFAULTS.stageName;
  const destroyable = c.destroyable ?? DEFAULTS.destroyable;
  if (c.alarmEmail === undefined && !destroyable) {
    throw new Error(
      `stage ${stageName} has no alarmEmail: its alarms would reach nobody. Save the stage's settings once with npm run configure -- --stage ${stageName} (then cdk deploy, diff and destroy need no -c), or pass -c alarmEmail=you@example.com, or -c alarmEmail=${NO_ALARM_EMAIL} if you subscribe the AlarmTopicArn output yourself; dev stages: -c destroyable=true`,
    );
  }
  const airtime: Record<string, string> = {};
  for (const key of AIRTIME_OPTIONS) {
    const value = c[key];
    if (value !== undefined) airtime[AIRTIME_CONTEXT[key]] = value;
  }
  try {
    parseAirtimeRules(airtime);
  } catch (error) {
    throw new Error(
      `context airtime rules: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (c.airtimeDeadlineMs !== undefined) airtime.AIRTIME_DEADLINE_MS = String(c.airtimeDeadlineMs);
  try {
    parseReplyKeywords(c.smsReplyKeywords);
  } catch (error) {
    throw new Error(
      `context smsReplyKeywords: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let forwardTo: ForwardEndpoint[] = [];
  try {
    if (c.forwardTo !== undefined) forwardTo = parseForwardTo(c.forwardTo, { allowHttp: false });
  } catch (error) {
    throw new Error(`context forwardTo: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    stageName,
    forwardTo,
    domain: customDomain(c),
    throttleRate: c.throttleRate ?? DEFAULTS.throttleRate,
    throttleBurst: c.throttleBurst ?? DEFAULTS.throttleBurst,
    routeThrottles: { ...DEFAULTS.routeThrottles, ...c.routeThrottles },
    logRetentionDays: c.logRetentionDays ?? DEFAULTS.logRetentionDays,
    alarmEmail: c.alarmEmail === NO_ALARM_EMAIL ? undefined : c.alarmEmail,
    concurrency: {
      interactiveReserved: Number(
        c.interactiveReservedConcurrency ?? DEFAULTS.interactiveReservedConcurrency,
      ),
      recorderMax: c.recorderMaxConcurrency ?? DEFAULTS.recorderMaxConcurrency,
      replierMax: c.replierMaxConcurrency ?? DEFAULTS.replierMaxConcurrency,
    },
    tracing: c.tracing ?? DEFAULTS.tracing,
    // 0 keeps records forever.
    recordTtlDays: c.recordTtlDays === 0 ? undefined : (c.recordTtlDays ?? DEFAULTS.recordTtlDays),
    legacyIndexes: c.legacyIndexes ?? [],
    destroyable,
    logLevel: c.logLevel,
    airtime,
    replies: {
      shortcode: c.atShortcode,
      template: c.smsReplyTemplate,
      keywords: c.smsReplyKeywords,
      premiumKeywords: c.atPremiumKeywords,
    },
  };
}

/** The custom domain options, checked together: a name needs a certificate or a hosted zone. */
function customDomain(c: {
  domainName?: string | undefined;
  certificateArn?: string | undefined;
  hostedZoneId?: string | undefined;
  hostedZoneName?: string | undefined;
}): CustomDomain | undefined {
  if (c.domainName === undefined) {
    const stray = (["certificateArn", "hostedZoneId", "hostedZoneName"] as const).find(
      (key) => c[key] !== undefined,
    );
    if (stray) throw new Error(`context ${stray} is only used with domainName`);
    return undefined;
  }
  if (c.certificateArn === undefined && c.hostedZoneId === undefined) {
    throw new Error(
      "context domainName needs certificateArn (an ACM certificate in the stack's region) or hostedZoneId (a Route 53 zone the stack may add the certificate's and the domain's records to)",
    );
  }
  // The zone's name: given, or the domain's parent (callbacks.example.com → example.com).
  const zoneName = c.hostedZoneName ?? c.domainName.slice(c.domainName.indexOf(".") + 1);
  if (c.domainName !== zoneName && !c.domainName.endsWith(`.${zoneName}`)) {
    throw new Error(`context domainName ${c.domainName} is not in hosted zone ${zoneName}`);
  }
  return {
    name: c.domainName,
    certificateArn: c.certificateArn,
    hostedZone: c.hostedZoneId ? { id: c.hostedZoneId, name: zoneName } : undefined,
  };
}

/** The context key under which `npm run configure` saves each stage's settings (cdk.json). */
export const STAGES_CONTEXT_KEY = "stages";

/**
 * The context as a stage sees it: an option given explicitly (`-c`, or at the top of cdk.json's
 * context) wins; otherwise the stage's saved settings (`context.stages.<stageName>` in cdk.json,
 * written by `npm run configure`), so `cdk diff` and `cdk destroy` synthesize the stage exactly
 * as it was deployed, without repeating its options.
 */
export function withStageSettings(context: ContextReader): ContextReader {
  const stages = context(STAGES_CONTEXT_KEY);
  if (stages === undefined || stages === null) return context;
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (!isObject(stages) || !Object.values(stages).every(isObject)) {
    throw new Error(
      `context ${STAGES_CONTEXT_KEY} must map each stage name to its settings, e.g. {"prod": {"alarmEmail": "ops@example.com"}}`,
    );
  }
  const stageName = context("stageName") ?? DEFAULTS.stageName;
  const entry = typeof stageName === "string" ? stages[stageName] : undefined;
  const saved = isObject(entry) ? entry : undefined;
  return (key) => {
    const value = context(key);
    if (value !== undefined || !saved || key === "stageName") return value;
    return saved[key];
  };
}
