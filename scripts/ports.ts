import { createServer } from "node:net";

/** A port `npm start` binds, and how a user moves it. */
export interface NamedPort {
  port: number;
  /** What listens there, for the message: "the routes", "SQS"... */
  what: string;
  /** The variable or flag that changes it. */
  setting: string;
}

/** True when something already listens on 127.0.0.1:`port`. */
function inUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" ? resolve(true) : reject(error),
    );
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () =>
      probe.close(() => resolve(false)),
    );
  });
}

/** One line per port that is taken (port 0, any free one, never is), in the order given. */
export async function busyPortLines(ports: readonly NamedPort[]): Promise<string[]> {
  const wanted = ports.filter((p) => p.port !== 0);
  const taken = await Promise.all(wanted.map((p) => inUse(p.port)));
  return wanted
    .filter((_, i) => taken[i])
    .map(
      (p) =>
        `port ${p.port} (${p.what}) is in use: stop what holds it, or choose another with ${p.setting}`,
    );
}

/** The message for an EADDRINUSE that got past the check (taken in the meantime). */
export function busyPortLine(ports: readonly NamedPort[], port: number | undefined): string {
  const named = ports.find((p) => p.port === port);
  return named
    ? `port ${named.port} (${named.what}) is in use: stop what holds it, or choose another with ${named.setting}`
    : `port ${port ?? "?"} is in use: stop what holds it, or choose other ports (--port/PORT, INSPECTOR_PORT, SQS_PORT, DYNAMODB_PORT)`;
}
