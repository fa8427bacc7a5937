import * as v from "valibot";

/**
 * What AT's SMS API answered, reduced to what the reply worker must decide: was the message
 * accepted, refused for this recipient (final), worth retrying (it certainly did not leave),
 * or ambiguous (it may have left: never resent). Pure; no SDK import.
 */
export type SendOutcome =
  | {
      kind: "accepted";
      messageId: string;
      status: string;
      statusCode?: number;
      cost?: string;
      number?: string;
    }
  | {
      kind: "rejected";
      status: string;
      statusCode?: number;
      cost?: string;
      messageId?: string;
      reason: string;
    }
  | {
      kind: "retryable";
      reason: string;
      httpStatus?: number;
      /** AT's per-recipient status, when AT answered but could not send it now. */
      status?: string;
      statusCode?: number;
    }
  | { kind: "ambiguous"; reason: string };

/** Per-recipient status codes of AT's send answer (`SMSMessageData.Recipients[].statusCode`). */
export const RECIPIENT_STATUS: Readonly<Record<number, string>> = {
  100: "Processed",
  101: "Sent",
  102: "Queued",
  401: "RiskHold",
  402: "InvalidSenderId",
  403: "InvalidPhoneNumber",
  404: "UnsupportedNumberType",
  405: "InsufficientBalance",
  406: "UserInBlacklist",
  407: "CouldNotRoute",
  409: "DoNotDisturbRejection",
  500: "InternalServerError",
  501: "GatewayError",
  502: "RejectedByGateway",
};

const ACCEPTED_CODES = new Set([100, 101, 102]);
/**
 * AT did not send the message for this recipient, for a reason that passes without any change to
 * the message: out of credit (405, until someone tops up), the account held for review (401),
 * AT's own errors (500, 501). Nothing left, so retrying keeps at most one SMS; a reply still
 * refused after the retry budget lands in the dead-letter queue, whose alarm tells someone.
 */
export const TEMPORARY_RECIPIENT_CODES: ReadonlySet<number> = new Set([401, 405, 500, 501]);
export const BLACKLISTED_CODE = 406;

/** AT's send answer; every field is read as text, whatever its JSON type. */
const recipientSchema = v.looseObject({
  statusCode: v.optional(v.unknown()),
  number: v.optional(v.unknown()),
  status: v.optional(v.unknown()),
  cost: v.optional(v.unknown()),
  messageId: v.optional(v.unknown()),
});
const sendAnswerSchema = v.looseObject({
  SMSMessageData: v.looseObject({
    Message: v.optional(v.unknown()),
    // Anything but a list of recipients counts as none.
    Recipients: v.optional(v.fallback(v.array(recipientSchema), []), []),
  }),
});

const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

/** Parses a send answer (`{"SMSMessageData":{"Message","Recipients":[…]}}`) for one recipient. */
export function parseSendResponse(data: unknown, to: string): SendOutcome {
  const answer = v.safeParse(sendAnswerSchema, data);
  if (!answer.success) {
    // Not the shape AT documents: we cannot tell whether it was sent.
    return { kind: "ambiguous", reason: `unexpected answer: ${preview(data)}` };
  }
  const smd = answer.output.SMSMessageData;
  const recipients = smd.Recipients;
  const mine = recipients.find((r) => str(r.number) === to) ?? recipients[0];
  const message = str(smd.Message) ?? "";
  if (!mine) {
    // AT refused the whole request (e.g. "InvalidSenderId"): no message exists.
    return {
      kind: "rejected",
      status: message || "NoRecipients",
      reason: message || "no recipients",
    };
  }
  const statusCode = Number(mine.statusCode);
  const status = str(mine.status) ?? RECIPIENT_STATUS[statusCode] ?? "Unknown";
  const cost = str(mine.cost);
  const messageId = str(mine.messageId);
  const extra = {
    ...(cost ? { cost } : {}),
    ...(messageId && messageId !== "None" ? { messageId } : {}),
  };
  if (ACCEPTED_CODES.has(statusCode) && extra.messageId) {
    return {
      kind: "accepted",
      messageId: extra.messageId,
      status,
      statusCode,
      ...(cost ? { cost } : {}),
      ...(str(mine.number) ? { number: str(mine.number) } : {}),
    };
  }
  if (ACCEPTED_CODES.has(statusCode)) {
    return { kind: "ambiguous", reason: `accepted (${statusCode}) without a messageId` };
  }
  if (TEMPORARY_RECIPIENT_CODES.has(statusCode)) {
    return {
      kind: "retryable",
      reason: `recipient status ${statusCode} ${status}`,
      status,
      statusCode,
    };
  }
  return { kind: "rejected", status, statusCode, ...extra, reason: message || status };
}

/** Raised by the replier's own guard (at-sender.ts) instead of sending the API key elsewhere. */
export const AT_HOST_REFUSED = "EAT_HOST_REFUSED";

/** Error codes raised before any byte of the request reached AT. */
const NOT_SENT_CODES = new Set([
  AT_HOST_REFUSED,
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ECONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
]);

/** What the SDK may reject with, read field by field (an axios error, a Node error, a body). */
const errorLikeSchema = v.looseObject({
  code: v.optional(v.unknown()),
  message: v.optional(v.unknown()),
  cause: v.optional(
    v.fallback(v.looseObject({ code: v.optional(v.unknown()) }), { code: undefined }),
    {
      code: undefined,
    },
  ),
  response: v.optional(
    v.fallback(v.looseObject({ status: v.optional(v.unknown()), data: v.optional(v.unknown()) }), {
      status: undefined,
      data: undefined,
    }),
    { status: undefined, data: undefined },
  ),
  isAxiosError: v.optional(v.unknown()),
});

/**
 * Classifies what the SDK rejected with: an axios error (HTTP status or network error), the
 * body of a non-201 answer, or its own validation error (an invalid phone number).
 */
export function classifySendError(error: unknown, to: string): SendOutcome {
  if (typeof error !== "object" || error === null) {
    return { kind: "ambiguous", reason: `unexpected rejection: ${preview(error)}` };
  }
  if (!(error instanceof Error) && "SMSMessageData" in error) {
    // The SDK resolves only on 201; another 2xx with AT's usual body is still an answer.
    return parseSendResponse(error, to);
  }
  const e = v.parse(errorLikeSchema, error);
  const httpStatus = typeof e.response.status === "number" ? e.response.status : undefined;
  if (httpStatus !== undefined) {
    const reason = `HTTP ${httpStatus}: ${preview(e.response.data)}`;
    // A gateway timeout comes from in front of AT's API, which may still have taken the message.
    if (httpStatus === 504) return { kind: "ambiguous", reason: `${reason}; AT may have sent it` };
    // Redirects are not followed (they would carry the API key to another host): the answer
    // itself sent nothing, and only an operator can tell why AT's API redirects.
    if (httpStatus >= 300 && httpStatus < 400) {
      return { kind: "retryable", reason: `${reason} (redirect not followed)`, httpStatus };
    }
    if (httpStatus >= 500 || httpStatus === 429) return { kind: "retryable", reason, httpStatus };
    // Bad credentials are an operator's fix: retried, so they reach the dead-letter queue and alarm.
    if (httpStatus === 401 || httpStatus === 403) return { kind: "retryable", reason, httpStatus };
    return { kind: "rejected", status: `HTTP${httpStatus}`, reason };
  }
  const code = [e.code, e.cause.code].find((c): c is string => typeof c === "string");
  const message = typeof e.message === "string" ? e.message : String(error);
  if (code && NOT_SENT_CODES.has(code)) return { kind: "retryable", reason: `${code}: ${message}` };
  if (code === "ECONNABORTED" || code === "ETIMEDOUT") {
    return { kind: "ambiguous", reason: `no answer in time (${message}); AT may have sent it` };
  }
  if (code) return { kind: "ambiguous", reason: `${code}: ${message}` };
  if (e.isAxiosError) return { kind: "ambiguous", reason: message };
  // The SDK validates before sending: its own Error means no request was made.
  if (/failed custom validation|must be a valid phone number|is required/.test(message)) {
    return { kind: "rejected", status: "InvalidPhoneNumber", statusCode: 403, reason: message };
  }
  return { kind: "ambiguous", reason: message };
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return (text ?? String(value)).slice(0, 200);
}
