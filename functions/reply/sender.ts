import { readSecret } from "../shared/secrets";
import { outboxSender } from "./outbox";
import type { SmsSender } from "./worker";

/** Where the reply worker's AT credentials come from. */
export type AtCredentialSource =
  | { kind: "secret"; secretArn: string }
  | { kind: "env"; username: string; apiKey: string }
  | { kind: "outbox" };

/**
 * The SMS sender, built once per container and rebuilt only when the credentials change: on
 * AWS the secret is re-read at most every 5 minutes (Powertools cache), so a rotated API key is
 * picked up. The AT SDK (axios, joi) is loaded on the first reply that is sent: a container
 * whose jobs are all skipped, suppressed or already settled never evaluates it.
 */
export function smsSenderFor(
  credentials: AtCredentialSource,
  printOutbox: boolean,
): () => Promise<SmsSender> {
  let cached: { source: string; sender: Promise<SmsSender> } | undefined;
  const build = async (secret: string): Promise<SmsSender> => {
    switch (credentials.kind) {
      case "secret":
      case "env": {
        const { atSmsSender, parseAtCredentials } = await import("./at-sender");
        return atSmsSender(
          credentials.kind === "secret" ? parseAtCredentials(secret) : credentials,
        );
      }
      case "outbox":
        return outboxSender(printOutbox ? (line) => console.log(line) : undefined);
    }
  };
  return async () => {
    const source =
      credentials.kind === "secret" ? await readSecret(credentials.secretArn) : credentials.kind;
    if (cached?.source !== source) {
      const sender = build(source).catch((error) => {
        cached = undefined;
        throw error;
      });
      cached = { source, sender };
    }
    return cached.sender;
  };
}
