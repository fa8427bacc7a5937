// The AWS SDK warns on every client in every script that it will need Node 22 from 2027: the
// docs/local.md says so once, and the scripts stay quiet. Imported first by each script.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
