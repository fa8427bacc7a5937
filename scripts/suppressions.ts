import "./quiet-sdk";
import { SUPPRESSIONS_USAGE, suppressions } from "./commands/suppressions";
import { resolveTable } from "./local-state";
import { UsageError } from "./simulate/http";

try {
  process.exitCode = await suppressions(
    process.argv.slice(2),
    (line) => console.log(line),
    resolveTable,
  );
} catch (error) {
  if (!(error instanceof UsageError)) {
    console.error(`suppressions: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } else {
    console.error(`${error.message}\n\n${SUPPRESSIONS_USAGE}`);
    process.exitCode = 2;
  }
}
