import { Logger } from "@aws-lambda-powertools/logger";

/** Structured JSON logs; level from POWERTOOLS_LOG_LEVEL. Never log whole events or raw phone numbers. */
export const logger = new Logger({ serviceName: "at-callbacks" });

/** The name and message of an error, without its stack or any payload it may carry. */
export const describeError = (error: unknown) =>
  error instanceof Error
    ? { name: error.name, message: error.message }
    : { message: String(error) };
