import "./quiet-sdk";
import { runCommand } from "./commands/command";
import { LOGS_USAGE, logs } from "./commands/logs";

await runCommand("logs", LOGS_USAGE, (argv) => logs(argv, (line) => console.log(line)));
