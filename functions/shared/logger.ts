import { LogFormatter, Logger, LogItem } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";
import type { Context } from "aws-lambda";
import { maskPhonesIn } from "./phone";
import { redactCallbackKeys } from "./redact";

/**
 * One short JSON line per event: `level`, `message`, `timestamp`, the Lambda `requestId`,
 * `coldStart: true` on a container's first invocation, then the line's own fields (the AT id
 * as `atId`). The function's name, ARN and memory are those of the log group the line is in,
 * so they are not repeated on every line; an error keeps its (source-mapped) stack.
 */
class CompactLogFormatter extends LogFormatter {
  override formatAttributes(
    attributes: UnformattedAttributes,
    additionalLogAttributes: LogAttributes,
  ): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        ...(context ? { requestId: context.awsRequestId } : {}),
        ...(context?.coldStart ? { coldStart: true } : {}),
      },
    }).addAttributes(additionalLogAttributes);
  }

  override formatError(error: Error): LogAttributes {
    const { location: _location, ...rest } = super.formatError(error);
    return rest;
  }
}

/**
 * Fields where a phone number may appear: free text, and the AT id (an opt-out's is
 * `<senderId>#<phone>`). maskPhonesIn masks only numbers standing on their own, so the ids AT
 * issues (`ATXid_…`, `ATUid_…`, UUIDs) come out exactly as they went in.
 */
const MAY_HOLD_A_PHONE = new Set(["message", "reason", "stack", "atId", "phoneNumber"]);

/** Every string is cleared of callback keys, and those fields of phone numbers. */
export function scrubLogValue(key: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const redacted = redactCallbackKeys(value);
  return MAY_HOLD_A_PHONE.has(key) ? maskPhonesIn(redacted) : redacted;
}

/**
 * Structured JSON logs. On Lambda the level is the function's application log level
 * (`AWS_LAMBDA_LOG_LEVEL`, set by its logging configuration), INFO by default. Never log whole
 * events, message text or unmasked phone numbers; pass errors as `{ error }` so the stack is kept.
 */
export const logger = new Logger({
  serviceName: "at-callbacks",
  logFormatter: new CompactLogFormatter(),
  jsonReplacerFn: scrubLogValue,
});

/**
 * Middy middleware: every line of the invocation carries its Lambda request id (and
 * `coldStart` on the first), and none carries a key appended for the previous one. It is
 * Powertools' `injectLambdaContext` without the debug-sampling refresh, which would put back the
 * configured level on every invocation (undoing the bench's or a test's `setLogLevel`).
 */
export const logContext = () => ({
  before: async (request: { context: Context | undefined }): Promise<void> => {
    logger.resetKeys();
    if (request.context) logger.addContext(request.context);
  },
});
