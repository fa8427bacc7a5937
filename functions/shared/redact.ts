/** What stands in for a callback key wherever one would be queued, stored or logged. */
export const REDACTED_KEY = "REDACTED";

/**
 * A `key` query parameter in a URL, also as XML spells it (`&amp;key=`): its value runs to the
 * next `&`, `#`, quote, `<`, `>` or space.
 */
const KEY_PARAMETER = /([?&]|&amp;)key=[^&#\s"'<>]*/gi;

/**
 * The text with the value of every `key=` URL parameter replaced: the callback key authenticates
 * AT and must never reach a queue, the table or a log line (a voice flow's XML carries it in
 * every `callbackUrl`; the answer AT receives keeps it, what we record of that answer does not).
 */
export const redactCallbackKeys = (text: string): string =>
  text.replace(KEY_PARAMETER, `$1key=${REDACTED_KEY}`);
