import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { AWS_CALL } from "../settings";
import { type ClientOptions, clientSettings } from "./clients";
import { boundByInvocation } from "./deadline";

/** How every item is turned into DynamoDB attribute values (exported for tests). */
export const MARSHALL_OPTIONS = { removeUndefinedValues: true } as const;

/** A document client for one container, its calls bounded as every AWS call is. */
export const createDocumentClient = (options: ClientOptions = {}) =>
  boundByInvocation(
    DynamoDBDocumentClient.from(new DynamoDBClient({ ...AWS_CALL, ...clientSettings(options) }), {
      marshallOptions: MARSHALL_OPTIONS,
    }),
  );
