/**
 * Stands in for `@aws-sdk/credential-provider-node` (the SDK's default credential chain) in
 * every deployed function. Lambda hands a function its role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the first link of the default
 * chain; the rest (SSO, web identity, profiles, container and instance metadata, with the STS
 * and SSO clients they carry) is never reached there, yet was a third of every bundle.
 * Local runs and tests import the real SDK unbundled, with its whole chain. (SnapStart serves
 * credentials from a container endpoint instead: a function that turns it on needs the real chain.)
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => {
  const fromEnvironment = fromEnv(init);
  return async () => {
    try {
      return await fromEnvironment();
    } catch (cause) {
      throw new Error(
        "No AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): the deployed bundle reads only the credentials Lambda sets there, never profiles, SSO or instance metadata",
        { cause },
      );
    }
  };
};
