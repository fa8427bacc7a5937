import { cli } from "./cli";
import { dashboardUrls, loadOutputs, output, readCallbackKey } from "./deployed-stack";

const USAGE = `Usage: npm run urls -- --stage S [--region R] [--describe-stacks FILE] [--key KEY]
Prints the callback URL of every route of a deployed stage, with the callback key filled in,
and where each goes in the AT dashboard. Needs the AWS CLI and credentials, unless given a
recorded \`aws cloudformation describe-stacks\` output (--describe-stacks) and the key (--key).`;

const { values, fail, orFail } = cli(USAGE, {
  stage: { type: "string" },
  region: { type: "string" },
  "describe-stacks": { type: "string" },
  key: { type: "string" },
  help: { type: "boolean", default: false },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const stage = values.stage ?? fail("--stage is required (e.g. --stage prod)");

try {
  const outputs = loadOutputs({
    stage,
    region: values.region,
    describeStacksFile: values["describe-stacks"],
  });
  const key = values.key ?? (await readCallbackKey(output(outputs, "CallbackKeySecretArn")));
  const urls = orFail(() => dashboardUrls(outputs, key));
  console.log(`Callback URLs of stage ${stage}: paste each into the AT dashboard where shown.\n`);
  for (const { dashboard, url } of urls) console.log(`${dashboard}\n  ${url}\n`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
