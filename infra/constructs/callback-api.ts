import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  ApiMapping,
  type CfnStage,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Certificate, CertificateValidation } from "aws-cdk-lib/aws-certificatemanager";
import { Metric, Stats } from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { FilterPattern, LogGroup, MetricFilter, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { ARecord, HostedZone, RecordTarget } from "aws-cdk-lib/aws-route53";
import { ApiGatewayv2DomainProperties } from "aws-cdk-lib/aws-route53-targets";
import { Construct } from "constructs";
import { METRIC_NAMESPACE } from "../../functions/reply/metrics";
import type { Route } from "../../functions/routes";
import type { CustomDomain } from "../config";

export interface CallbackApiProps {
  /** Written into every access log line: the `stage` dimension of the refusal metric. */
  readonly stageName: string;
  readonly throttleRate: number;
  readonly throttleBurst: number;
  /** By route name: throttles of their own, instead of the stage's. */
  readonly routeThrottles: Readonly<Record<string, { rate: number; burst: number }>>;
  readonly logRetention: RetentionDays;
  /** Serve the callbacks on this domain: their URLs then outlive the API itself. */
  readonly domain?: CustomDomain | undefined;
}

/**
 * The fields of each access log line. The query string (which carries the callback key) is
 * deliberately absent: `$context.path` is the path alone.
 */
const ACCESS_LOG_FIELDS = {
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  ip: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  routeKey: "$context.routeKey",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationStatus: "$context.integrationStatus",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
  errorMessage: "$context.error.message",
};

/** The HTTP API AT calls: one route per route-table entry, each integrated with its own function. */
const REFUSALS_METRIC = "ApiRefusals";

export class CallbackApi extends Construct {
  readonly stageName: string;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  private readonly routeThrottles: CallbackApiProps["routeThrottles"];
  readonly accessLogs: LogGroup;
  /** Where the callback URLs point: the custom domain when there is one, else the API's own. */
  readonly baseUrl: string;
  /** The custom domain's API Gateway host name, for a DNS record made outside the stack. */
  readonly domainTarget: string | undefined;

  constructor(scope: Construct, id: string, props: CallbackApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, "Api", {
      description: "Africa's Talking callbacks",
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, "AccessLogs", {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, "DefaultStage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate, burstLimit: props.throttleBurst },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({ ...ACCESS_LOG_FIELDS, stage: props.stageName }),
        ),
      },
    });
    this.stageName = props.stageName;
    this.routeThrottles = props.routeThrottles;
    const served = props.domain ? this.serveOn(props.domain) : undefined;
    this.baseUrl = served?.url ?? this.api.apiEndpoint;
    this.domainTarget = served?.dnsTarget;
    // HTTP APIs publish 4xx as one count; which 4xx (403 wrong key, 429 over the throttle)
    // only the access log knows. One series per status: `ApiRefusals` {stage, status}.
    new MetricFilter(this, "Refusals", {
      logGroup: this.accessLogs,
      filterPattern: FilterPattern.stringValue("$.status", "=", "4*"),
      metricNamespace: METRIC_NAMESPACE,
      metricName: REFUSALS_METRIC,
      metricValue: "1",
      dimensions: { stage: "$.stage", status: "$.status" },
    });
  }

  /**
   * The custom domain, mapped to the `$default` stage. The domain is a resource of its own: a
   * replaced API gets a new mapping and the URLs in AT's dashboard keep working.
   */
  private serveOn(domain: CustomDomain): { url: string; dnsTarget: string | undefined } {
    const zone = domain.hostedZone
      ? HostedZone.fromHostedZoneAttributes(this, "Zone", {
          hostedZoneId: domain.hostedZone.id,
          zoneName: domain.hostedZone.name,
        })
      : undefined;
    const certificate = domain.certificateArn
      ? Certificate.fromCertificateArn(this, "Certificate", domain.certificateArn)
      : new Certificate(this, "Certificate", {
          domainName: domain.name,
          validation: CertificateValidation.fromDns(zone),
        });
    const domainName = new DomainName(this, "Domain", { domainName: domain.name, certificate });
    new ApiMapping(this, "Mapping", { api: this.api, domainName, stage: this.stage });
    if (zone)
      new ARecord(this, "Alias", {
        zone,
        recordName: domain.name,
        target: RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(
            domainName.regionalDomainName,
            domainName.regionalHostedZoneId,
          ),
        ),
      });
    return {
      url: `https://${domain.name}`,
      dnsTarget: zone ? undefined : domainName.regionalDomainName,
    };
  }

  /** Callbacks refused with `status` (e.g. "429"), from the access log. */
  metricRefusals(status: string): Metric {
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: REFUSALS_METRIC,
      dimensionsMap: { stage: this.stageName, status },
      statistic: Stats.SUM,
      period: Duration.minutes(5),
    });
  }

  addRoute(route: Route, handler: IFunction): void {
    const throttle = this.routeThrottles[route.name];
    if (throttle) {
      // The L2 stage has no per-route settings: they are set on the CloudFormation stage.
      const stage = this.stage.node.defaultChild as CfnStage;
      const settings = (stage.routeSettings ?? {}) as Record<string, unknown>;
      stage.routeSettings = {
        ...settings,
        [`${route.method} ${route.path}`]: {
          ThrottlingRateLimit: throttle.rate,
          ThrottlingBurstLimit: throttle.burst,
        },
      };
    }
    this.api.addRoutes({
      path: route.path,
      methods: [HttpMethod[route.method]],
      integration: new HttpLambdaIntegration(`${route.name}-integration`, handler),
    });
  }

  /** The full callback URL of a route (on the `$default` stage), with the key as a placeholder. */
  callbackUrl(route: Route): string {
    return `${this.baseUrl}${route.path}?key=<callback-key>`;
  }
}
