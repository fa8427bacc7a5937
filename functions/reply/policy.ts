import * as v from "valibot";
import { isFieldObject, parseJsonSetting } from "../shared/json";

/**
 * The reply policy: what we answer to an incoming two-way SMS. Pure; configured from the
 * environment (docs/replies.md):
 *
 * - `SMS_REPLY_TEMPLATE`: the default reply. `{text}`, `{from}` and `{to}` are replaced by the
 *   inbound text, sender and shortcode. Unset: locally the seed's demo reply
 *   `This is a response to: "{text}"`; on AWS none (a demo text sent in production costs
 *   money and answers STOP). Set to an empty string: no reply (recorded as `skipped`).
 * - `SMS_REPLY_KEYWORDS`: JSON object from keyword to reply, e.g.
 *   `{"HELP":"Text BAL for your balance","STOP":"You are unsubscribed"}`. The first word of the
 *   inbound text picks it, case-insensitively; the same placeholders work; `""` means no reply.
 * - `AT_PREMIUM_KEYWORDS`: comma-separated premium keywords of the shortcode. An inbound message
 *   with a `linkId` whose first word is one of them (or any, when only one is configured) is
 *   answered as an on-demand premium reply: keyword + linkId.
 */
export interface ReplyPolicy {
  template: string;
  keywords: Readonly<Record<string, string>>;
  premiumKeywords: readonly string[];
}

export const DEFAULT_TEMPLATE = 'This is a response to: "{text}"';

export interface Inbound {
  text: string;
  from: string;
  to: string;
  linkId?: string;
}

/** `mode`: where the replier runs; only the local stack has a default reply. */
export function loadReplyPolicy(
  env: Readonly<Record<string, string | undefined>>,
  mode: "aws" | "local",
): ReplyPolicy {
  const template = env.SMS_REPLY_TEMPLATE ?? (mode === "aws" ? "" : DEFAULT_TEMPLATE);
  const keywords = parseReplyKeywords(env.SMS_REPLY_KEYWORDS);
  const premiumKeywords = (env.AT_PREMIUM_KEYWORDS ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  return Object.freeze({ template, keywords, premiumKeywords });
}

const keywordsSchema = v.pipe(
  v.custom<object>(isFieldObject),
  v.record(v.string(), v.string("must be a string")),
  // Matched against the first word, upper-cased.
  v.transform((map) =>
    Object.fromEntries(Object.entries(map).map(([k, text]) => [k.trim().toUpperCase(), text])),
  ),
);

/**
 * `SMS_REPLY_KEYWORDS`, checked: the replier at cold start and the stack at synthesis read it
 * with this one function, so a value the replier would refuse never deploys.
 */
export function parseReplyKeywords(raw: string | undefined): Readonly<Record<string, string>> {
  if (raw === undefined || raw.trim() === "") return Object.freeze({});
  return Object.freeze(
    parseJsonSetting(
      "SMS_REPLY_KEYWORDS",
      keywordsSchema,
      raw,
      "a JSON object of keyword to reply text",
    ),
  );
}

/**
 * Messages that mean "stop sending me SMS" (the opt-out keywords AT and the networks honour):
 * the whole message, whatever its case, spacing and punctuation. They suppress the number for
 * the shortcode instead of getting a reply. A longer text ("stop the order") is an ordinary
 * message.
 */
export const OPT_OUT_KEYWORDS: ReadonlySet<string> = new Set([
  "STOP",
  "STOPALL",
  "UNSUBSCRIBE",
  "OPTOUT",
]);

export const isOptOutMessage = (text: string) =>
  OPT_OUT_KEYWORDS.has(text.toUpperCase().replace(/[^A-Z]/g, ""));

/** The first word of a message, upper-cased: how keywords are matched. */
export const firstWord = (text: string) => (text.trim().split(/\s+/)[0] ?? "").toUpperCase();

/** The reply text for an inbound message; "" means send nothing. */
export function replyText(policy: ReplyPolicy, inbound: Inbound): string {
  const word = firstWord(inbound.text);
  const chosen =
    word !== "" && Object.hasOwn(policy.keywords, word)
      ? (policy.keywords[word] ?? "")
      : policy.template;
  return chosen.replace(/\{(text|from|to)\}/g, (_m, name: "text" | "from" | "to") => inbound[name]);
}

/**
 * Whether the policy can answer anything at all. When it cannot (on AWS, by default) an
 * incoming SMS has no reply path: no job, no replier invocation, no `skipped` record.
 */
export const answersAnything = (policy: ReplyPolicy) =>
  policy.template !== "" || Object.values(policy.keywords).some((text) => text !== "");

/** The premium keyword to answer with, when the message is an on-demand premium request. */
export function premiumKeyword(policy: ReplyPolicy, inbound: Inbound): string | undefined {
  if (!inbound.linkId || policy.premiumKeywords.length === 0) return undefined;
  const word = firstWord(inbound.text);
  const match = policy.premiumKeywords.find((k) => k.toUpperCase() === word);
  if (match) return match;
  return policy.premiumKeywords.length === 1 ? policy.premiumKeywords[0] : undefined;
}
