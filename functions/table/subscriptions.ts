import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { conditional } from "./conditional";
import { subscriptionKey, TABLE } from "./keys";

/**
 * The state of one (shortcode, keyword, number) subscription, for the application to read
 * (docs/engines.md "Two-way SMS replies"); the recorder keeps it from AT's subscription callbacks.
 */
export interface Subscription {
  shortCode: string;
  keyword: string;
  phoneNumber: string;
  active: boolean;
  updateType: string;
  updatedAt: string;
}

/** The subscription codec. */
export const encodeSubscription = (s: Subscription) => ({
  ...subscriptionKey(s.shortCode, s.keyword, s.phoneNumber),
  ...s,
});

export interface Subscriptions {
  /** Sets a subscription's state unless a later update was already applied. */
  setSubscription(subscription: Subscription): Promise<boolean>;
}

export function dynamoSubscriptions(
  client: DynamoDBDocumentClient,
  tableName: string,
): Subscriptions {
  return {
    setSubscription(s) {
      return conditional(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: encodeSubscription(s),
            ConditionExpression: "attribute_not_exists(#pk) OR updatedAt <= :at",
            ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
            ExpressionAttributeValues: { ":at": s.updatedAt },
          }),
        ),
      );
    },
  };
}
