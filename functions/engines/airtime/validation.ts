/**
 * Airtime validation callback rules (AT asks before sending airtime; answer Validated or Failed).
 *
 *   validateAirtime(fields: AirtimeValidationFields, rules: AirtimeRules, ports?: { pending?, signal? })
 *     : Promise<AirtimeDecision>            // { status: "Validated" | "Failed", reason? }; never throws
 *   parseAirtimeRules(env: Record<string, string | undefined>): AirtimeRules   // throws AirtimeConfigError
 *   DEFAULT_AIRTIME_RULES                   // the seed: transactionId, phoneNumber and amount present
 *
 * Environment (all optional; unset or empty = rule off):
 *   AIRTIME_ALLOWED_IPS="1.2.3.4,10.0.0.0/8,2001:db8::/32"   sourceIpAddress allow-list (exact or CIDR)
 *   AIRTIME_CURRENCIES="KES,UGX"                             allowed currencyCode values
 *   AIRTIME_LIMITS="KES:10-10000,UGX:500-100000"             inclusive amount range per currency
 *   AIRTIME_REQUIRE_PENDING=true                             transactionId must match a registered
 *                                                            request with the same phoneNumber,
 *                                                            currencyCode and amount; the decision
 *                                                            is recorded on it, so AT's retry of the
 *                                                            same request gets the same answer
 * `Validated` only when every enabled rule passes. Reasons never contain the phone number.
 */

import { BlockList, isIP } from "node:net";
import * as v from "valibot";
import { type CallbackFields, requiredFieldsOf } from "../../model/callbacks";
import { toE164 } from "../../shared/phone";

export type AirtimeField =
  | "transactionId"
  | "phoneNumber"
  | "sourceIpAddress"
  | "currencyCode"
  | "amount";

export interface AmountLimit {
  readonly min: number;
  readonly max: number;
}

export interface AirtimeRules {
  readonly requiredFields: readonly AirtimeField[];
  /** Exact IPv4/IPv6 addresses or CIDR blocks; undefined = any source. */
  readonly allowedSourceIps?: readonly string[];
  /** Upper-case ISO 4217 codes; undefined = any currency. */
  readonly allowedCurrencies?: readonly string[];
  /** Inclusive range per currency; currencies without an entry are not limited. */
  readonly amountLimits: Readonly<Record<string, AmountLimit>>;
  readonly requirePending: boolean;
}

export interface PendingAirtime {
  readonly phoneNumber: string;
  readonly currencyCode: string;
  readonly amount: number;
}

/** Requests this application really made, registered before calling AT's send-airtime API. */
export interface PendingTransactions {
  /**
   * Validates a callback against the registered request in one conditional write that records
   * the decision on it (nothing is deleted, so a deadline cannot lose a registration, and a
   * retry of the same request gets the same answer). Undefined when validated, else the reason.
   */
  validate(
    transactionId: string,
    callback: PendingAirtime,
    signal?: AbortSignal,
  ): Promise<string | undefined>;
}

export interface AirtimeDecision {
  readonly status: "Validated" | "Failed";
  readonly reason?: string;
}

export class AirtimeConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid airtime validation config:\n- ${problems.join("\n- ")}`);
    this.name = "AirtimeConfigError";
  }
}

export const DEFAULT_AIRTIME_RULES: AirtimeRules = Object.freeze({
  // The callback schema owns the required fields; the rules read them the same way.
  requiredFields: requiredFieldsOf("airtime.validation") as AirtimeField[],
  amountLimits: {},
  requirePending: false,
});

const VALIDATED: AirtimeDecision = { status: "Validated" };
const failed = (reason: string): AirtimeDecision => ({ status: "Failed", reason });

// --- validation -------------------------------------------------------------------------------

interface AirtimeCallback {
  readonly transactionId: string | undefined;
  readonly phoneNumber: string | undefined;
  readonly sourceIpAddress: string | undefined;
  readonly currencyCode: string | undefined;
  /** Raw amount as text, kept for the "not a number" check. */
  readonly amountText: string | undefined;
  readonly amount: number | undefined;
}

/** The callback's fields as the callback map typed them (functions/model/callbacks.ts). */
export type AirtimeValidationFields = Readonly<Partial<CallbackFields<"airtime.validation">>>;

export async function validateAirtime(
  fields: AirtimeValidationFields,
  rules: AirtimeRules,
  ports: { readonly pending?: PendingTransactions; readonly signal?: AbortSignal } = {},
): Promise<AirtimeDecision> {
  try {
    const callback = readCallback(fields);
    const problem =
      missingFieldProblem(callback, rules.requiredFields) ??
      amountProblem(callback) ??
      sourceIpProblem(callback, rules.allowedSourceIps) ??
      currencyProblem(callback, rules.allowedCurrencies) ??
      limitProblem(callback, rules.amountLimits);
    if (problem !== undefined) return failed(problem);
    // Last, because consuming the pending request is the only rule with a side effect.
    return rules.requirePending
      ? await pendingDecision(callback, ports.pending, ports.signal)
      : VALIDATED;
  } catch (error) {
    return failed(`validation error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readCallback(fields: AirtimeValidationFields): AirtimeCallback {
  const amountText = amountAsText(fields.amount);
  return {
    transactionId: text(fields.transactionId),
    // Untrimmed: a literal `+` arrives as a leading space, which normalisePhone turns back.
    phoneNumber: untrimmed(fields.phoneNumber),
    sourceIpAddress: text(fields.sourceIpAddress),
    currencyCode: text(fields.currencyCode)?.toUpperCase(),
    amountText,
    amount: amountText === undefined ? undefined : parseAmount(amountText),
  };
}

/** A field with something in it, as sent. */
const untrimmed = (value: string | undefined) =>
  value !== undefined && value.trim() !== "" ? value : undefined;

const text = (value: string | undefined) => untrimmed(value)?.trim();

const amountAsText = text;

function parseAmount(amountText: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(amountText)) return undefined;
  const amount = Number(amountText);
  return Number.isFinite(amount) && amount > 0 ? amount : undefined;
}

function fieldPresent(callback: AirtimeCallback, field: AirtimeField): boolean {
  return (field === "amount" ? callback.amountText : callback[field]) !== undefined;
}

function missingFieldProblem(
  callback: AirtimeCallback,
  required: readonly AirtimeField[],
): string | undefined {
  const missing = required.filter((field) => !fieldPresent(callback, field));
  return missing.length > 0 ? `missing ${missing.join(", ")}` : undefined;
}

function amountProblem(callback: AirtimeCallback): string | undefined {
  return callback.amountText !== undefined && callback.amount === undefined
    ? "amount is not a positive number"
    : undefined;
}

function sourceIpProblem(
  callback: AirtimeCallback,
  allowed: readonly string[] | undefined,
): string | undefined {
  if (allowed === undefined) return undefined;
  const ip = callback.sourceIpAddress;
  if (ip === undefined) return "missing sourceIpAddress";
  const family = ipFamily(ip);
  if (family === undefined) return "sourceIpAddress is not an IP address";
  return ipAllowList(allowed).check(ip, family)
    ? undefined
    : `sourceIpAddress ${ip} is not allowed`;
}

function currencyProblem(
  callback: AirtimeCallback,
  allowed: readonly string[] | undefined,
): string | undefined {
  if (allowed === undefined) return undefined;
  const currency = callback.currencyCode;
  if (currency === undefined) return "missing currencyCode";
  return allowed.includes(currency) ? undefined : `currencyCode ${currency} is not allowed`;
}

function limitProblem(
  callback: AirtimeCallback,
  limits: Readonly<Record<string, AmountLimit>>,
): string | undefined {
  if (Object.keys(limits).length === 0) return undefined;
  const { currencyCode, amount } = callback;
  if (currencyCode === undefined) return "missing currencyCode";
  const limit = limits[currencyCode];
  if (limit === undefined) return undefined;
  if (amount === undefined) return "missing amount";
  return amount >= limit.min && amount <= limit.max
    ? undefined
    : `amount ${amount} ${currencyCode} is outside ${limit.min}-${limit.max}`;
}

async function pendingDecision(
  callback: AirtimeCallback,
  pending: PendingTransactions | undefined,
  signal: AbortSignal | undefined,
): Promise<AirtimeDecision> {
  if (pending === undefined) return failed("pending-transaction check has no store");
  if (callback.transactionId === undefined) return failed("missing transactionId");
  if (callback.amount === undefined) return failed("missing amount");
  let problem: string | undefined;
  try {
    problem = await pending.validate(
      callback.transactionId,
      {
        phoneNumber: callback.phoneNumber ?? "",
        currencyCode: callback.currencyCode ?? "",
        amount: callback.amount,
      },
      signal,
    );
  } catch (error) {
    return failed(
      `pending-transaction check failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return problem === undefined ? VALIDATED : failed(problem);
}

/** E.164 where possible, so `%2B254…`, a literal `+` that arrived as a space and `00254…` match. */
export function normalisePhone(phoneNumber: string): string {
  return toE164(phoneNumber) ?? phoneNumber.replace(/[\s-]/g, "");
}

/** Amounts compared in hundredths, as money is. */
export const cents = (amount: number) => Math.round(amount * 100);

function ipFamily(ip: string): "ipv4" | "ipv6" | undefined {
  const version = isIP(ip);
  if (version === 4) return "ipv4";
  if (version === 6) return "ipv6";
  return undefined;
}

function ipAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix] = entry.split("/");
    const family = ipFamily(address);
    if (family === undefined) throw new Error(`invalid allow-list entry ${entry}`);
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

// --- configuration ----------------------------------------------------------------------------

/** One schema per kind of entry; each issue's message names the variable and the entry. */
const ipEntry = v.pipe(
  v.string(),
  v.check(isIpOrCidr, (issue) => `AIRTIME_ALLOWED_IPS: "${issue.input}" is not an IP or CIDR`),
);
const currencyEntry = v.pipe(
  v.string(),
  v.regex(/^[A-Z]{3}$/, (issue) => `AIRTIME_CURRENCIES: "${issue.input}" is not a currency code`),
);
const LIMIT = /^([A-Za-z]{3}):(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/;
const limitEntry = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const [, code, min, max] = LIMIT.exec(dataset.value.replace(/\s+/g, "")) ?? [];
    if (code === undefined || min === undefined || max === undefined) {
      addIssue({ message: `AIRTIME_LIMITS: "${dataset.value}" is not CUR:min-max` });
      return NEVER;
    }
    return { code: code.toUpperCase(), min: Number(min), max: Number(max) };
  }),
  v.check(
    (limit) => limit.min <= limit.max,
    (issue) => `AIRTIME_LIMITS: ${issue.input.code} min is above max`,
  ),
);
const BOOLEANS: Readonly<Record<string, boolean>> = {
  "": false,
  false: false,
  "0": false,
  no: false,
  true: true,
  "1": true,
  yes: true,
};
const booleanSetting = (name: string) =>
  v.pipe(
    v.string(),
    v.transform((value) => value.trim().toLowerCase()),
    v.picklist(Object.keys(BOOLEANS), (issue) => `${name}: "${issue.input}" is not true or false`),
    v.transform((value) => BOOLEANS[value] ?? false),
  );

export function parseAirtimeRules(env: Readonly<Record<string, string | undefined>>): AirtimeRules {
  const problems: string[] = [];
  /** Every entry through its schema: the valid ones kept, every problem listed. */
  const each = <T>(schema: v.GenericSchema<string, T>, entries: readonly string[]) =>
    entries.flatMap((entry) => {
      const result = v.safeParse(schema, entry);
      if (result.success) return [result.output];
      problems.push(...result.issues.map((issue) => issue.message));
      return [];
    });
  const allowedSourceIps = listOf(env.AIRTIME_ALLOWED_IPS);
  each(ipEntry, allowedSourceIps ?? []);
  const allowedCurrencies = listOf(env.AIRTIME_CURRENCIES)?.map((code) => code.toUpperCase());
  each(currencyEntry, allowedCurrencies ?? []);
  const amountLimits: Record<string, AmountLimit> = {};
  for (const { code, min, max } of each(limitEntry, listOf(env.AIRTIME_LIMITS) ?? [])) {
    if (code in amountLimits) problems.push(`AIRTIME_LIMITS: ${code} is listed twice`);
    amountLimits[code] = { min, max };
  }
  for (const code of Object.keys(amountLimits)) {
    if (allowedCurrencies !== undefined && !allowedCurrencies.includes(code)) {
      problems.push(`AIRTIME_LIMITS: ${code} is not in AIRTIME_CURRENCIES`);
    }
  }
  const [requirePending = false] = each(booleanSetting("AIRTIME_REQUIRE_PENDING"), [
    env.AIRTIME_REQUIRE_PENDING ?? "",
  ]);
  if (problems.length > 0) throw new AirtimeConfigError(problems);
  return Object.freeze({
    requiredFields: DEFAULT_AIRTIME_RULES.requiredFields,
    ...(allowedSourceIps === undefined ? {} : { allowedSourceIps }),
    ...(allowedCurrencies === undefined ? {} : { allowedCurrencies }),
    amountLimits,
    requirePending,
  });
}

function listOf(value: string | undefined): string[] | undefined {
  const items = (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items.length > 0 ? items : undefined;
}

function isIpOrCidr(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}
