/** Types for the parts of the official AT SDK (plain JavaScript) that the reply worker uses. */
declare module "africastalking" {
  interface SmsSendOptions {
    to: string | string[];
    from?: string;
    message: string;
    enqueue?: boolean;
  }
  interface SmsPremiumOptions {
    to: string | string[];
    from?: string;
    message: string;
    keyword: string;
    linkId?: string;
    retryDurationInHours?: number;
  }
  interface SmsService {
    /** Resolves with AT's body when AT answers 201; rejects with the body, an axios error or a validation error. */
    send(options: SmsSendOptions): Promise<unknown>;
    sendPremium(options: SmsPremiumOptions): Promise<unknown>;
  }
  interface AfricasTalkingClient {
    SMS: SmsService;
  }
  export default function AfricasTalking(options: {
    username: string;
    apiKey: string;
    format?: "json" | "xml";
  }): AfricasTalkingClient;
}

/** The CommonJS build of axios: the very instance the SDK's `require("axios")` gets. */
declare module "axios/dist/node/axios.cjs" {
  import axios from "axios";
  export default axios;
}
