import { existsSync, readFileSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/constants";

/** Where `npm start` leaves the local endpoints for `npm run records` to find. */
export const LOCAL_STATE_FILE = ".local/stack.json";

export interface LocalState {
  tableName: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  eventsQueueUrl: string;
  eventsDlqUrl: string;
}

/** The running local stack's table, or an exit with advice when there is none. */
export function localTable(): { client: DynamoDBDocumentClient; tableName: string } {
  if (!existsSync(LOCAL_STATE_FILE)) {
    console.error(
      "No local stack is running here: start one with `npm start`, or name a deployed table with --table NAME --region R.",
    );
    process.exit(2);
  }
  const state = JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as LocalState;
  return { client: localDocumentClient(state.dynamodbEndpoint), tableName: state.tableName };
}

export const localDocumentClient = (endpoint: string) =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
