// notify-node: an optional parallel-stage plugin on the Node.js kit (kits/node, package orchestrator-plugin).
// It queues one notification per run and activity in its own outbox table. The kit does the protocol of
// docs/protocol.md: the initialize answer, the claim or join (a duplicate SNS delivery finds it taken and
// does no work), heartbeats while the work runs, and the report.
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { Plugin, Result } from 'orchestrator-plugin';

const plugin = new Plugin('notify-node', {
  mandatory: false,
  timeout: 60, // seconds without a heartbeat after which another delivery may take over
  registerTimeout: 30,
  order: 100,
  description: 'queues a notification to the tenant when an activity runs (Node.js example)',
});

const dynamodb = new DynamoDBClient({});

plugin.process(async (ctx) => {
  const metadata = ctx.metadata;
  if ('conformanceFail' in metadata) return Result.fatal(String(metadata.conformanceFail)); // conformance error case
  if ('conformanceSchedule' in metadata) return Result.schedule(Number(metadata.conformanceSchedule), 'conformance: scheduled');
  if ('conformanceRetry' in metadata) return Result.retry(String(metadata.conformanceRetry)); // conformance RetryError case
  // The conformance check's long work (heartbeats).
  await new Promise((resolve) => setTimeout(resolve, Number(metadata.conformanceWorkSeconds ?? 0) * 1000));
  await dynamodb.send(new UpdateItemCommand({
    TableName: process.env.OUTBOX_TABLE,
    Key: { id: { S: `${ctx.uid}|${ctx.workflow}|${ctx.activity}` } },
    UpdateExpression: 'SET recipient = :r, queuedAt = :t ADD sent :one',
    ExpressionAttributeValues: { ':r': { S: String(metadata.tenantId ?? ctx.uid) }, ':t': { N: String(Date.now()) }, ':one': { N: '1' } },
  }));
  return Result.complete();
});

export const handler = plugin.handler;
export const INFO = plugin.info();
