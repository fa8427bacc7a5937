import { createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { startServices } from "../../local/services";
import { startLocalStack } from "../../local/stack";
import { TEST_KEY } from "../support/local";

/**
 * A port taken between `npm start`'s check and the listen (scripts/ports.ts) is still reported
 * as EADDRINUSE with its port, which start.ts turns into one line: never a hang, never an
 * unhandled error.
 */
const held: Server[] = [];
afterAll(async () => {
  for (const server of held) await new Promise((r) => server.close(r));
});
async function takenPort(): Promise<number> {
  const server = createServer();
  held.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("a port in use", () => {
  it("SQS, on the services' own thread: rejected with its port, not a hang", async () => {
    const port = await takenPort();
    await expect(startServices({ onThread: true, sqsPort: port })).rejects.toMatchObject({
      code: "EADDRINUSE",
      port,
    });
  });

  it("the routes: rejected with its port, not an unhandled error", async () => {
    const port = await takenPort();
    await expect(startLocalStack({ port, callbackKey: TEST_KEY })).rejects.toMatchObject({
      code: "EADDRINUSE",
      port,
    });
  });
});
