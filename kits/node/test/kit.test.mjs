// The kit against a real DynamoDB/S3/SQS API (moto_server on loopback): what a plugin's item shows after each result.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client, GetObjectCommand, PutObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Plugin, Result, SEP } from '../index.mjs';
import { startEmulator, freshResources } from './emulator.mjs';

let emulator;
let aws;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });
const saved = { ...process.env };
beforeEach(async () => {
  for (const k of ['OUTPUT_INLINE_MAX_BYTES', 'OUTPUT_MAX_BYTES', 'PLUGIN_MAX_ATTEMPTS', 'PLUGIN_QUEUE_URL', 'PLUGIN_MAX_RECEIVE_COUNT']) {
    if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
  aws = await freshResources();
});

const message = (extra = {}) => ({ uid: 'run-1', workflow: 'onboard', activity: 'Setup', stage: 'parallel', metadata: { tier: 'gold' },
  plugins: { mandatory: {}, optional: {} }, ...extra });
const sns = (m) => ({ Records: [{ EventSource: 'aws:sns', Sns: { Message: JSON.stringify(m) } }] });
const item = async (m = message(), plugin = 'kit') => (await aws.ddb.send(new GetItemCommand({ TableName: aws.table, ConsistentRead: true,
  Key: { uid: { S: `~${plugin}~${m.uid}` }, workflow: { S: [m.workflow, m.activity, m.stage].join(SEP) } } }))).Item;
const returning = (result, options = {}) => new Plugin('kit', { timeout: 60, ...options })
  .process(async (ctx) => (typeof result === 'function' ? result(ctx) : result));

test('initialize answers without AWS', async () => {
  const p = new Plugin('kit', { mandatory: false, timeout: 120, order: 7, overrides: { Setup: { mandatory: true } }, description: 'd' });
  assert.deepEqual(await p.handler({ action: 'initialize' }), { pluginName: 'kit', default: { mandatory: false, pluginRegisterTimeout: 30, timeout: 120 },
    overrides: { Setup: { mandatory: true } }, order: 7, alwaysRun: false, idempotent: true, description: 'd' });
});

test('a join claims and completes with every field', async () => {
  assert.deepEqual(await returning(undefined).handler(sns(message())), ['complete']);
  const it = await item();
  assert.deepEqual([it.state, it.attempt, it.mandatory, it.timeout, it.version], [{ S: 'Complete' }, { N: '1' }, { BOOL: true }, { N: '60' }, { N: '2' }]);
  for (const f of ['startedAt', 'heartbeatAt', 'endedAt', 'updatedAt']) assert.ok(it[f], f);
  assert.deepEqual([it.runUid, it.runWorkflow, it.activity, it.stage], [{ S: 'run-1' }, { S: 'onboard' }, { S: 'Setup' }, { S: 'parallel' }]);
});

test('a duplicate delivery writes nothing more', async () => {
  const p = returning(undefined);
  await p.handler(sns(message()));
  const first = await item();
  assert.deepEqual(await p.handler(sns(message())), ['duplicate']);
  assert.deepEqual(await item(), first);
});

test('another plugin\'s message, a done entry and a late optional join write nothing', async () => {
  const p = returning(undefined);
  assert.deepEqual(await p.handler(sns(message({ stage: 'post', plugin: 'other' }))), ['not mine']);
  const done = message({ stage: 'post', plugin: 'kit', plugins: { mandatory: { kit: { state: 'Do Not Run', order: 1, attempt: 0 } } } });
  assert.deepEqual(await p.handler(sns(done)), ['already done']);
  assert.equal(await item(message({ stage: 'post' })), undefined);
  const optional = returning(undefined, { mandatory: false });
  assert.deepEqual(await optional.handler(sns(message({ windowEndsAt: Date.now() - 120000 }))), ['too late']);
  assert.equal(await item(), undefined);
});

test('malformed input fails naming what is wrong', async () => {
  const p = returning(undefined);
  await assert.rejects(p.handler(sns({ workflow: 'w', activity: 'A', stage: 'pre' })), /lacks 'uid'/);
  await assert.rejects(p.handler({ hello: 1 }), /expected an SNS or SQS event/);
});

test('inline output', async () => {
  await returning(Result.complete({ hostname: 'acme.example.com' })).handler(sns(message()));
  assert.deepEqual(JSON.parse((await item()).output.S), { hostname: 'acme.example.com' });
});

test('an output over the inline threshold goes to the payload bucket', async () => {
  process.env.OUTPUT_INLINE_MAX_BYTES = '10'; // non-default: 16384
  await returning(Result.complete({ blob: 'x'.repeat(100) })).handler(sns(message()));
  const it = await item();
  assert.equal(it.output, undefined);
  const ref = it.outputRef.M;
  assert.equal(ref.key.S, 'runs/run-1/~kit~/onboard/Setup/parallel.json');
  const got = await new S3Client({ forcePathStyle: true }).send(new GetObjectCommand({ Bucket: ref.bucket.S, Key: ref.key.S }));
  const body = Buffer.from(await got.Body.transformToByteArray());
  assert.deepEqual(JSON.parse(body), { blob: 'x'.repeat(100) });
  assert.equal(ref.sha256.S, createHash('sha256').update(body).digest('hex'));
  assert.equal(ref.size.N, String(body.length));
});

test('an output that is not an object, or is over the hard limit, ends Error', async () => {
  await returning(Result.complete([1, 2])).handler(sns(message()));
  assert.equal((await item()).message.S, 'output must be a JSON object, got array');
  process.env.OUTPUT_MAX_BYTES = '5';
  const m = message({ uid: 'run-2' });
  await returning(Result.complete({ a: 1 })).handler(sns(m));
  assert.equal((await item(m)).message.S, 'output is 7 bytes of JSON, over the hard limit of 5 (OUTPUT_MAX_BYTES)');
});

test('fatal and thrown errors end Error with their text (180 characters at most)', async () => {
  await returning(Result.fatal('no such tenant')).handler(sns(message()));
  assert.deepEqual([(await item()).state, (await item()).message], [{ S: 'Error' }, { S: 'no such tenant' }]);
  const m = message({ uid: 'run-2' });
  await returning(() => { throw new Error('x'.repeat(300)); }).handler(sns(m));
  assert.equal((await item(m)).message.S, 'x'.repeat(180));
});

test('retry sets rerunAt, then gives up at PLUGIN_MAX_ATTEMPTS', async () => {
  const p = returning(Result.retry('dns not ready'));
  assert.deepEqual(await p.handler(sns(message())), ['retry']);
  const it = await item();
  assert.equal(it.state.S, 'In Progress');
  assert.equal(it.message.S, 'attempt 1 failed, retrying in 2 s: dns not ready');
  assert.ok(Number(it.rerunAt.N) > Number(it.heartbeatAt.N));
  process.env.PLUGIN_MAX_ATTEMPTS = '1'; // non-default: 4
  const m = message({ uid: 'run-2' });
  assert.deepEqual(await p.handler(sns(m)), ['error']);
  assert.equal((await item(m)).message.S, 'gave up after 1 attempts: dns not ready');
});

test('a scheduled re-run is claimed again when due', async () => {
  let result = Result.schedule(0, 'polling');
  const p = returning(() => result);
  assert.deepEqual(await p.handler(sns(message())), ['schedule']);
  assert.equal((await item()).message.S, 'polling');
  p.process(async (ctx) => Result.complete({ attempt: ctx.attempt }));
  assert.deepEqual(await p.handler(sns(message({ plugin: 'kit' }))), ['complete']);
  const it = await item();
  assert.deepEqual([it.attempt, it.rerunAt, JSON.parse(it.output.S)], [{ N: '2' }, undefined, { attempt: 2 }]);
});

test('wait, then report later', async () => {
  const p = returning(Result.waitForReport());
  assert.deepEqual(await p.handler(sns(message())), ['wait']);
  assert.equal((await item()).state.S, 'In Progress');
  assert.equal(await p.reportLater(message(), 'Complete', 'callback arrived'), true);
  assert.equal((await item()).state.S, 'Complete');
  assert.equal(await p.reportLater(message(), 'Complete'), false);
});

test('release gives the claim back', async () => {
  const p = returning(undefined);
  const ex = p.execution(message());
  assert.ok(await ex.claim());
  assert.ok(await ex.release('disk full'));
  const it = await item();
  assert.deepEqual([it.state, it.message], [{ S: 'Not Started' }, { S: 'released: disk full' }]);
  assert.deepEqual(await p.handler(sns(message())), ['complete']);
});

test('child request', async () => {
  await returning(Result.startChild('db-setup', ['CreateDb', 'Migrate'], { pluginTimeout: 60 })).handler(sns(message()));
  const it = await item();
  assert.deepEqual(JSON.parse(it.child.M.request.S), { workflow: 'db-setup', activities: ['CreateDb', 'Migrate'], pluginTimeout: 60 });
  assert.equal(it.message.S, 'waiting for child workflow db-setup');
  assert.throws(() => Result.startChild('x', ['A'], { uid: 'no' }), /unknown field/);
});

test('heartbeats while the work runs', async () => {
  await returning(() => new Promise((r) => setTimeout(r, 2500))).handler(sns(message({ pluginTimeout: 3 })));
  const it = await item();
  assert.equal(it.state.S, 'Complete');
  assert.equal(it.timeout, undefined); // the run's pluginTimeout wins
  assert.ok(Number(it.heartbeatAt.N) > Number(it.startedAt.N));
  assert.ok(Number(it.version.N) >= 4); // claim, two heartbeats, report
});

test('inputs: inline, by reference, altered and missing', async () => {
  const data = Buffer.from(JSON.stringify({ big: true }));
  await new S3Client({ forcePathStyle: true }).send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'runs/run-1/~b~/x.json', Body: data }));
  const ref = { bucket: aws.bucket, key: 'runs/run-1/~b~/x.json', sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
  const inputs = { Provision: { dns: { output: { host: 'h' } }, b: { outputRef: ref }, bad: { outputRef: { ...ref, size: 1 } } } };
  const seen = {};
  await returning(async (ctx) => {
    seen.dns = await ctx.input('Provision', 'dns');
    seen.b = await ctx.input('Provision', 'b');
    await ctx.input('Provision', 'bad');
  }).handler(sns(message({ inputs })));
  assert.deepEqual(seen, { dns: { host: 'h' }, b: { big: true } });
  assert.match((await item()).message.S, /does not match its reference/);
  const m = message({ uid: 'run-2', inputs });
  await returning((ctx) => ctx.input('Provision', 'nope')).handler(sns(m));
  assert.match((await item(m)).message.S, /^no input Provision\.nope in this stage's inputs \(it has Provision\.b/);
});

/** A SigV4 presigned GET link, as the engine mints them (the SDK's signer; SHA-256 from node:crypto). */
async function presign(bucket, key) {
  class Sha256 {
    constructor(secret) { this.h = secret ? createHmac('sha256', secret) : createHash('sha256'); }
    update(d) { this.h.update(d); }
    async digest() { return new Uint8Array(this.h.digest()); }
  }
  const endpoint = new URL(process.env.AWS_ENDPOINT_URL);
  const signer = new SignatureV4({ service: 's3', region: process.env.AWS_REGION, sha256: Sha256, uriEscapePath: false,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY } });
  const signed = await signer.presign({ method: 'GET', protocol: endpoint.protocol, hostname: endpoint.hostname, port: Number(endpoint.port),
    path: `/${bucket}/${key}`, headers: { host: endpoint.host }, query: {} }, { expiresIn: 900 });
  return `${endpoint.origin}${signed.path}?${new URLSearchParams(signed.query)}`;
}

test('inputs: a reference with a link is read through the link, and a link to a deleted object is gone', async () => {
  // The engine's stage messages carry presigned links (moto refuses an unsigned GET of a private object).
  const data = Buffer.from(JSON.stringify({ linked: 1 }));
  const key = 'runs/run-3/~b~/y.json';
  const s3 = new S3Client({ forcePathStyle: true });
  await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: key, Body: data }));
  const ref = { bucket: aws.bucket, key, sha256: createHash('sha256').update(data).digest('hex'), size: data.length,
    url: await presign(aws.bucket, key) };
  const seen = {};
  await returning(async (ctx) => { seen.b = await ctx.input('Provision', 'b'); })
    .handler(sns(message({ uid: 'run-3', inputs: { Provision: { b: { outputRef: ref } } } })));
  assert.deepEqual(seen, { b: { linked: 1 } });
  await s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: key }));
  const m = message({ uid: 'run-4', inputs: { Provision: { b: { outputRef: ref } } } });
  await returning(async (ctx) => { await ctx.input('Provision', 'b'); }).handler(sns(m));
  assert.match((await item(m)).message.S, /is gone .* or its link expired \(HTTP 404/);
});

// The next message of the work queue as Lambda's SQS event source hands it to the worker.
const received = async (extra = {}) => {
  const got = (await new SQSClient({}).send(new ReceiveMessageCommand({ QueueUrl: aws.queue, MessageAttributeNames: ['All'],
    MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 5, ...extra }))).Messages;
  return { messageId: got[0].MessageId, body: got[0].Body, attributes: got[0].Attributes,
    messageAttributes: Object.fromEntries(Object.entries(got[0].MessageAttributes).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType }])) };
};

test('queue bridge: the bridge claims and forwards, the worker reports', async () => {
  process.env.PLUGIN_QUEUE_URL = aws.queue;
  const p = returning(Result.complete({ via: 'queue' }));
  assert.deepEqual(await p.handler(sns(message())), ['queued']);
  assert.equal((await item()).state.S, 'In Progress');
  const record = await received();
  assert.deepEqual(await p.handler({ Records: [record] }), { batchItemFailures: [] });
  assert.deepEqual(JSON.parse((await item()).output.S), { via: 'queue' });
  assert.deepEqual(await p.handler({ Records: [record] }), { batchItemFailures: [] }); // stale redelivery: nothing to do
});

test('a bridge that cannot queue gives its claim back, and the retry queues', async () => {
  process.env.PLUGIN_QUEUE_URL = `${aws.queue}-missing`; // no queue behind it
  const p = returning(Result.complete({ via: 'queue' }));
  await assert.rejects(p.handler(sns(message()))); // the invocation fails: Lambda retries the delivery
  let it = await item();
  assert.equal(it.state.S, 'Not Started');
  assert.match(it.message.S, /^released: could not queue the work: /);
  process.env.PLUGIN_QUEUE_URL = aws.queue; // the queue is there when the retry comes
  assert.deepEqual(await p.handler(sns(message())), ['queued']);
  it = await item();
  assert.equal(it.state.S, 'In Progress');
  assert.equal(it.attempt.N, '2');
  assert.equal(JSON.parse((await received()).body).uid, 'run-1');
});

test('a failing queued message is Error on receive PLUGIN_MAX_RECEIVE_COUNT', async () => {
  process.env.PLUGIN_QUEUE_URL = aws.queue;
  process.env.PLUGIN_MAX_RECEIVE_COUNT = '2'; // non-default: 3
  const p = returning(() => { throw new Error('zone file unreadable'); });
  assert.deepEqual(await p.handler(sns(message())), ['queued']);
  const first = await received({ VisibilityTimeout: 0 }); // visible again at once: the next receive is the second
  assert.equal(first.attributes.ApproximateReceiveCount, '1');
  assert.deepEqual(await p.handler({ Records: [first] }), { batchItemFailures: [{ itemIdentifier: first.messageId }] });
  assert.equal((await item()).state.S, 'In Progress'); // received again: not the last receive yet
  const second = await received();
  assert.equal(second.attributes.ApproximateReceiveCount, '2');
  assert.deepEqual(await p.handler({ Records: [second] }), { batchItemFailures: [{ itemIdentifier: second.messageId }] });
  const it = await item();
  assert.equal(it.state.S, 'Error');
  assert.equal(it.message.S, 'failed 2 times, sent to the dead-letter queue: zone file unreadable');
});

test('one INFO line per execution: the outcome, with its attempt; the claim only at DEBUG', async (t) => {
  const lines = [];
  for (const level of ['log', 'warn', 'debug']) t.mock.method(console, level, (s) => lines.push([level, JSON.parse(s)]));
  const p = returning(Result.retry('dns not ready'));
  await p.handler(sns(message()));
  assert.deepEqual(lines.map(([level, l]) => [level, l.event, l.attempt, l.uid, l.plugin]),
    [['log', 'plugin will retry', 1, 'run-1', 'kit']]);
  lines.length = 0;
  const savedLevel = process.env.AWS_LAMBDA_LOG_LEVEL;
  process.env.AWS_LAMBDA_LOG_LEVEL = 'DEBUG'; // non-default: INFO
  try {
    await p.handler(sns(message({ stage: 'post' })));
  } finally {
    if (savedLevel === undefined) delete process.env.AWS_LAMBDA_LOG_LEVEL; else process.env.AWS_LAMBDA_LOG_LEVEL = savedLevel;
  }
  assert.deepEqual(lines.map(([level, l]) => [level, l.event]), [['debug', 'plugin claimed'], ['log', 'plugin will retry']]);
});
