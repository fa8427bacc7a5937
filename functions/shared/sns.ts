import { SNSClient } from "@aws-sdk/client-sns";
import { AWS_CALL } from "../settings";
import { type ClientOptions, clientSettings } from "./clients";
import { boundByInvocation } from "./deadline";

/** An SNS client for one container, its calls bounded (AWS_CALL) and by the invocation's deadline. */
export const createSnsClient = (options: ClientOptions = {}) =>
  boundByInvocation(new SNSClient({ ...AWS_CALL, ...clientSettings(options) }));
