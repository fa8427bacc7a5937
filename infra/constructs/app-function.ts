import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { Policy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  ApplicationLogLevel,
  Architecture,
  type CfnFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { LOCKFILE, lambdaBundling, NODE_OPTIONS } from "../bundling";

/** What every function's deployment settings say, whatever the function does. */
export interface FunctionSettings {
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly logRetention: RetentionDays;
  readonly environment: Record<string, string>;
  /** Executions reserved for (and the most allowed to) this function; none unless told. */
  readonly reservedConcurrency?: number | undefined;
  /** X-Ray active tracing (Lambda's own segments; no tracing SDK in the bundle). */
  readonly tracing?: boolean | undefined;
  /** The application log level (Lambda's logging configuration); INFO unless told. */
  readonly logLevel?: keyof typeof ApplicationLogLevel | undefined;
}

export interface AppFunctionProps extends FunctionSettings {
  /** Handler source file, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
}

/**
 * A Lambda function with this project's defaults: Node.js 22 on arm64, an ESM bundle with
 * source maps, its own log group with retention, and its own role that may only write to
 * that log group until the stack grants more.
 */
export class AppFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the default one, which carries the AWS-managed basic execution
    // policy (logs:* on every log group in the account).
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      // JSON logs, filtered by Lambda: the function's lines at the application level (the
      // logger reads it from AWS_LAMBDA_LOG_LEVEL), and of the platform's own lines only
      // warnings and errors (no START, END and REPORT line per invocation).
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel ?? "INFO"],
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: { NODE_OPTIONS, ...props.environment },
      bundling: lambdaBundling,
      // The repository's own lockfile, wherever `cdk` is run from (else NodejsFunction looks for
      // one above the working directory, and BUNDLE_ALIASES are relative to its folder).
      depsLockFilePath: LOCKFILE,
      ...(props.reservedConcurrency
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
    });
    if (props.tracing) this.traceWithXRay();
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Node.js 22 is the runtime the handlers are built and tested for (esbuild target node22); moving to a newer runtime is a deliberate, tested change.",
    });
  }

  /**
   * X-Ray active tracing. Lambda's own `tracing` option would add X-Ray's two actions, on
   * `Resource: "*"` (X-Ray has no resource-level permissions), to the role's default policy,
   * where cdk-nag (rightly) refuses a wildcard; acknowledging that there would also hide any
   * wildcard granted later. So the two actions get a policy of their own, and only that policy
   * carries the acknowledgment.
   */
  private traceWithXRay(): void {
    (this.function.node.defaultChild as CfnFunction).tracingConfig = { mode: "Active" };
    const policy = new Policy(this, "Tracing", {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
          resources: ["*"],
        }),
      ],
    });
    this.function.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions: '*' is the only resource they accept. This policy holds nothing else.",
    });
  }
}
