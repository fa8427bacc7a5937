import "./quiet-sdk";
import { DLQ_USAGE, dlq } from "./commands/dlq";
import { UsageError } from "./simulate/http";

try {
  process.exitCode = await dlq(process.argv.slice(2), (line) => console.log(line));
} catch (error) {
  if (!(error instanceof UsageError)) {
    console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } else {
    console.error(`${error.message}\n\n${DLQ_USAGE}`);
    process.exitCode = 2;
  }
}
