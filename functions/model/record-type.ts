import { CALLBACK_TYPES } from "./callbacks";

/** Every type of record: the 11 callbacks, and the replies we send to incoming SMS. */
export const RECORD_TYPES = [...CALLBACK_TYPES, "sms.reply"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
