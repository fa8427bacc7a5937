/** Where `npm start` leaves the local endpoints for `npm run records` to find. */
export const LOCAL_STATE_FILE = ".local/stack.json";

export interface LocalState {
  tableName: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  eventsQueueUrl: string;
  eventsDlqUrl: string;
}
