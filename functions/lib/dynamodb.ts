import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** One client per container; the endpoint comes from the environment (AWS_ENDPOINT_URL_DYNAMODB locally). */
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  // A JSON body may carry a number beyond what DynamoDB's SDK converts exactly; storing it
  // approximately beats failing the record forever.
  marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
});
