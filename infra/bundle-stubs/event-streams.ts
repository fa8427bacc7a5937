/**
 * Stands in for `@smithy/core/event-streams` in every deployed function. The SDK loads it only to
 * send or read an operation's event stream, and no operation of the clients we bundle has one
 * (test/infra/bundle.test.ts checks every command); bundled, it cost 15 KiB and `node:zlib` at load.
 */
const refuse = (): never => {
  throw new Error(
    "Event streams are not bundled in the deployed functions: remove the @smithy/core/event-streams alias in infra/bundling.ts to use an operation that streams events",
  );
};

export const eventStreamSerdeProvider = refuse;

export class EventStreamSerde {
  constructor() {
    refuse();
  }
}
