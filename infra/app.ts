import { App } from "aws-cdk-lib";
import { defineApp } from "./define-app";

try {
  defineApp(new App());
} catch (error) {
  // A bad `-c` value is a usage problem: one line saying which, not a stack trace.
  if (process.env.CDK_DEBUG) throw error;
  console.error(`Cannot synthesize: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
