/** `AIRTIME#abc` → `AIRTIME#`: the prefix of a partition key built by functions/table/keys.ts. */
export const prefixOf = (partitionKey: string) =>
  partitionKey.slice(0, partitionKey.indexOf("#") + 1);

/**
 * The IAM condition that limits DynamoDB item actions to items whose partition key starts with
 * one of `prefixes` (every key the request names must match).
 */
export const onlyKeysStartingWith = (prefixes: readonly string[]) => ({
  "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes.map((p) => `${p}*`) },
});
