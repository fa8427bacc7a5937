import { backoffSeconds, type ReplyState, SENDABLE, SETTLED } from "../model/reply-state";
import { RetryLater } from "../shared/sqs-worker";
import { encodeNewReply, type Replies, type ReplyFields, type ReplyItem } from "../table/replies";
import type { SuppressionList } from "../table/suppressions";
import type { SendOutcome } from "./at-response";
import { BLACKLISTED_CODE } from "./at-response";
import type { ReplyJob } from "./job";
import { premiumKeyword, type ReplyPolicy, replyText } from "./policy";

export interface SmsRequest {
  to: string;
  from: string;
  message: string;
  linkId?: string;
  keyword?: string;
}

/** The port to AT's SMS API (the SDK), or to the local outbox. Never throws: it classifies. */
export interface SmsSender {
  send(request: SmsRequest): Promise<SendOutcome>;
}

export interface ReplyDeps {
  store: Replies & SuppressionList;
  /** Resolved lazily: on AWS the credentials are read (once) only when a reply is sent. */
  sender: () => Promise<SmsSender>;
  policy: ReplyPolicy;
  /** `AT_SHORTCODE`; when unset, the shortcode the subscriber wrote to. */
  shortcode: string | undefined;
  ttlDays: number | undefined;
  retry: { baseDelaySeconds: number; maxDelaySeconds: number };
  /** Receives before SQS moves the job to the dead-letter queue. */
  maxReceiveCount: number;
  now: () => Date;
  newAttemptId: () => string;
  /**
   * A count for the alarm metrics: `ReplyUnknown`, and `ReplyRejected` with AT's `status` as a
   * dimension (every refusal by AT, final or temporary).
   */
  metric: (
    name: string,
    fields: Record<string, unknown>,
    dimensions?: Readonly<Record<string, string>>,
  ) => void;
}

export interface JobContext {
  /** ApproximateReceiveCount of the queue message. */
  receiveCount: number;
  /** When this invocation ends at the latest (Lambda timeout): the `sending` lease. */
  deadline: Date;
}

export interface JobResult {
  state: ReplyState;
  /** What this job did: sent, rejected, suppressed, skipped, unknown, or already-<state>. */
  outcome: string;
  messageId?: string;
}

/** Thrown for a job that must come back later; the worker plumbing delays it on the queue. */
export { RetryLater };

const MAX_RACES = 5;

/**
 * Processes one reply job: at most one SMS per inbound message, whatever the number of jobs,
 * redeliveries and crashes (docs/replies.md, "State machine").
 */
export async function processReplyJob(
  job: ReplyJob,
  ctx: JobContext,
  deps: ReplyDeps,
): Promise<JobResult> {
  let reply = await deps.store.getReply(job.inboundId);
  if (!reply) {
    // A new reply is first written as what was decided (skipped, suppressed, sending), so the
    // common path writes it twice in all: the claim and AT's answer.
    const fresh = newReply(job, deps);
    const create: Commit = (changes) =>
      deps.store.createReply({ ...fresh, ...definedOnly(changes), version: fresh.version + 1 });
    const decided = await decideAndSend(job, fresh, ctx, deps, create);
    if (decided) return decided;
    reply = await deps.store.getReply(job.inboundId);
    if (!reply) throw new Error(`reply ${job.inboundId} exists but cannot be read`);
  }
  for (let race = 0; race < MAX_RACES; race++) {
    const now = deps.now();
    if (SETTLED.has(reply.state)) {
      // A redelivered job finishes what a failed one may have left undone after marking it sent.
      if (reply.state === "sent" && reply.messageId) {
        await deps.store.linkMessage(reply.messageId, {
          inboundId: job.inboundId,
          from: reply.from,
          to: reply.to,
        });
      }
      return { state: reply.state, outcome: `already-${reply.state}`, ...idOf(reply) };
    }
    if (reply.state === "sending") {
      const leaseUntil = Date.parse(reply.leaseUntil ?? "");
      if (leaseUntil > now.getTime()) {
        // Another invocation is sending right now; come back after its deadline.
        throw new RetryLater(
          "another attempt is sending this reply",
          Math.ceil((leaseUntil - now.getTime()) / 1000) + 1,
        );
      }
      // That attempt's invocation is over and never recorded an answer: it may have sent.
      const marked = await deps.store.updateReply(
        job.inboundId,
        { version: reply.version },
        {
          state: "unknown",
          error: "an attempt ended while sending; AT may have sent the reply, so it is not resent",
          updatedAt: now.toISOString(),
        },
      );
      if (marked) {
        deps.metric("ReplyUnknown", { inboundId: job.inboundId, cause: "interrupted" });
        return { state: "unknown", outcome: "unknown" };
      }
    } else if (SENDABLE.has(reply.state)) {
      const seen = reply;
      const update: Commit = (changes) =>
        deps.store.updateReply(job.inboundId, { version: seen.version }, changes);
      const decided = await decideAndSend(job, seen, ctx, deps, update);
      if (decided) return decided;
    }
    reply = (await deps.store.getReply(job.inboundId)) ?? reply;
  }
  throw new RetryLater("too many concurrent changes to this reply", 1);
}

/** Writes a decision on a reply as it was seen; false when another job changed it first. */
type Commit = (changes: Partial<ReplyFields>) => Promise<boolean>;

const definedOnly = (changes: Partial<ReplyFields>) =>
  Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));

/** The reply a job would create: `pending`, not yet written. */
function newReply(job: ReplyJob, deps: ReplyDeps): ReplyItem {
  const inbound = { text: job.text, from: job.recipient, to: job.shortcode, ...linkOf(job) };
  return encodeNewReply({
    inboundId: job.inboundId,
    receivedAt: job.receivedAt,
    to: job.recipient,
    from: deps.shortcode || job.shortcode,
    message: replyText(deps.policy, inbound),
    linkId: job.linkId,
    keyword: premiumKeyword(deps.policy, inbound),
    now: deps.now().toISOString(),
    ttlDays: deps.ttlDays,
  });
}

/** From `pending`/`failed`: skip, suppress, or send. Undefined when another job changed it first. */
async function decideAndSend(
  job: ReplyJob,
  reply: ReplyItem,
  ctx: JobContext,
  deps: ReplyDeps,
  commit: Commit,
): Promise<JobResult | undefined> {
  const { store } = deps;
  const at = () => deps.now().toISOString();
  if (reply.message === "") {
    const done = await commit({
      state: "skipped",
      updatedAt: at(),
    });
    return done ? { state: "skipped", outcome: "skipped" } : undefined;
  }
  // The shortcode written to counts too: a STOP to it suppresses it even when AT_SHORTCODE differs.
  const suppression = await store.suppressionFor(reply.to, [
    ...new Set([reply.from, job.shortcode, "*"]),
  ]);
  if (suppression) {
    const done = await commit({
      state: "suppressed",
      suppressedBy: `${suppression.reason} (${suppression.source}, sender ${suppression.sender})`,
      updatedAt: at(),
    });
    return done ? { state: "suppressed", outcome: "suppressed" } : undefined;
  }

  // Resolve the sender (on AWS: read the credentials) before claiming: a failure here sends nothing.
  let sender: SmsSender;
  try {
    sender = await deps.sender();
  } catch (error) {
    const reason = `no SMS sender: ${error instanceof Error ? error.message : String(error)}`;
    await commit({
      state: ctx.receiveCount >= deps.maxReceiveCount ? "failed" : reply.state,
      error: reason,
      updatedAt: at(),
    });
    throw new RetryLater(reason, backoffSeconds(reply.attempts + 1, deps.retry));
  }

  const attemptId = deps.newAttemptId();
  const attempts = reply.attempts + 1;
  const claimed = await commit({
    state: "sending",
    attemptId,
    attempts,
    leaseUntil: ctx.deadline.toISOString(),
    updatedAt: at(),
  });
  if (!claimed) return undefined;

  // Between the claim above and the write below, a crash leaves the reply in `sending`: the next
  // job for it finds the lease expired and marks it `unknown` instead of sending again.
  const outcome = await sender.send({
    to: reply.to,
    from: reply.from,
    message: reply.message,
    ...(reply.linkId && reply.keyword ? { linkId: reply.linkId, keyword: reply.keyword } : {}),
  });

  const mine = { attemptId, states: ["sending", "unknown"] as const };
  const answer = (o: SendOutcome): Partial<ReplyFields> => ({
    ...("messageId" in o && o.messageId ? { messageId: o.messageId } : {}),
    ...("status" in o ? { status: o.status } : {}),
    ...("statusCode" in o && o.statusCode !== undefined ? { statusCode: o.statusCode } : {}),
    ...("cost" in o && o.cost ? { cost: o.cost } : {}),
  });
  switch (outcome.kind) {
    case "accepted": {
      // The link first: should the next write fail, delivery reports still find this reply.
      await store.linkMessage(outcome.messageId, {
        inboundId: job.inboundId,
        from: reply.from,
        to: reply.to,
      });
      await store.updateReply(job.inboundId, mine, {
        state: "sent",
        ...answer(outcome),
        updatedAt: at(),
      });
      return { state: "sent", outcome: "sent", messageId: outcome.messageId };
    }
    case "rejected": {
      await store.updateReply(job.inboundId, mine, {
        state: "rejected",
        ...answer(outcome),
        error: outcome.reason,
        updatedAt: at(),
      });
      deps.metric("ReplyRejected", { inboundId: job.inboundId }, { status: outcome.status });
      if (outcome.statusCode === BLACKLISTED_CODE) {
        await store.suppress({
          phoneNumber: reply.to,
          sender: reply.from,
          reason: "UserInBlacklist",
          source: `sms.reply#${job.inboundId}`,
          since: at(),
        });
      }
      return { state: "rejected", outcome: "rejected", ...idOf(outcome) };
    }
    case "ambiguous": {
      await store.updateReply(job.inboundId, mine, {
        state: "unknown",
        error: outcome.reason,
        updatedAt: at(),
      });
      deps.metric("ReplyUnknown", { inboundId: job.inboundId, cause: outcome.reason });
      return { state: "unknown", outcome: "unknown" };
    }
    case "retryable": {
      // Certainly not sent. Spent budget: `failed` (SQS moves the job to the DLQ); else back to pending.
      const exhausted = ctx.receiveCount >= deps.maxReceiveCount;
      await store.updateReply(job.inboundId, mine, {
        state: exhausted ? "failed" : "pending",
        ...answer(outcome),
        error: outcome.reason,
        updatedAt: at(),
      });
      const refusedBy = refusalStatus(outcome);
      if (refusedBy)
        deps.metric("ReplyRejected", { inboundId: job.inboundId }, { status: refusedBy });
      throw new RetryLater(
        `${exhausted ? "retry budget spent" : "retrying"}: ${outcome.reason}`,
        backoffSeconds(attempts, deps.retry),
      );
    }
  }
}

/**
 * The status under which a retryable failure counts as AT refusing the reply (for now): a
 * temporary recipient status (`InsufficientBalance`, `RiskHold`…) or AT refusing the credentials
 * (`HTTP401`, `HTTP403`). Network errors, 5xx and 429 are not refusals.
 */
function refusalStatus(outcome: Extract<SendOutcome, { kind: "retryable" }>): string | undefined {
  if (outcome.status) return outcome.status;
  if (outcome.httpStatus === 401 || outcome.httpStatus === 403) return `HTTP${outcome.httpStatus}`;
  return undefined;
}

const linkOf = (job: ReplyJob) => (job.linkId ? { linkId: job.linkId } : {});
const idOf = (x: { messageId?: string | undefined }) =>
  x.messageId ? { messageId: x.messageId } : {};
