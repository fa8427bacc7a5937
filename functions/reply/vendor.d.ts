/** Types for the parts of the official AT SDK (plain JavaScript) that the reply worker uses. */
declare module "africastalking/lib/sms.js" {
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
  /** `format` is the Accept header (the package entry point maps "json" to it). */
  const SmsService: new (options: {
    username: string;
    apiKey: string;
    format: "application/json" | "application/xml";
  }) => SmsService;
  export default SmsService;
}

/** The SDK's module-wide endpoints; `enableSandbox()` switches them for good. */
declare module "africastalking/lib/common.js" {
  const common: {
    SMS_URL: string;
    CONTENT_URL: string;
    BASE_URL: string;
    enableSandbox(): void;
  };
  export default common;
}

/** The CommonJS build of axios: the very instance the SDK's `require("axios")` gets. */
declare module "axios/dist/node/axios.cjs" {
  import axios from "axios";
  export default axios;
}
