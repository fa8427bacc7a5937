import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { AWS_CALL } from "../settings";
import { boundByInvocation } from "./deadline";

/** How every item is turned into DynamoDB attribute values (exported for tests). */
export const MARSHALL_OPTIONS = { removeUndefinedValues: true } as const;

/** One client per container; the endpoint comes from the environment (AWS_ENDPOINT_URL_DYNAMODB locally). */
export const documentClient = boundByInvocation(
  DynamoDBDocumentClient.from(new DynamoDBClient({ ...AWS_CALL }), {
    marshallOptions: MARSHALL_OPTIONS,
  }),
);
