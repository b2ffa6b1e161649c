// orchestrator-plugin: docs/protocol.md (protocol v3) done once, so a Node.js plugin is its work.
//
//   import { Plugin, Result } from 'orchestrator-plugin';
//   const plugin = new Plugin('notify-node', { mandatory: false, timeout: 60, order: 100 });
//   plugin.process(async (ctx) => Result.complete({ sent: true }));  // or fatal / retry / schedule / waitForReport / startChild
//   export const handler = plugin.handler;                            // initialize, SNS stage messages, SQS work
//
// The result names are the Java library's (dev.orchestrator.plugin.PluginResult). The AWS SDK v3 clients honour
// AWS_ENDPOINT_URL. @aws-sdk/client-s3 (outputs over the inline threshold, inputs by reference) and
// @aws-sdk/client-sqs (the queue bridge) are optional peer dependencies, loaded only when needed.
import { createHash } from 'node:crypto';
import { DynamoDBClient, UpdateItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';

export const SEP = '\u001f';
const STAGES = ['pre', 'parallel', 'post'];
const MESSAGE_MAX = 180;
const LATE_SKEW_TOLERANCE_MS = 60000;
const NO_OUTPUT = Symbol('no output');
const S = (v) => ({ S: String(v) });
const N = (v) => ({ N: String(v) });

// ---- results: the Java vocabulary ------------------------------------------------------------------------
const CHILD_FIELDS = ['metadata', 'filterAttributes', 'pluginRegisterTimeout', 'pluginTimeout', 'startTimeout'];
export const Result = Object.freeze({
  complete: (output = NO_OUTPUT) => ({ kind: 'Complete', output }),
  waitForReport: () => ({ kind: 'Wait' }),
  schedule: (delaySeconds, message) => {
    if (!(delaySeconds >= 0)) throw new Error(`schedule: delaySeconds must be 0 or more, got ${delaySeconds}`);
    return { kind: 'Schedule', delaySeconds, message };
  },
  retry: (message) => ({ kind: 'RetryError', message: String(message) }),
  fatal: (message) => ({ kind: 'FatalError', message: String(message) }),
  startChild: (workflow, activities, options = {}) => {
    const unknown = Object.keys(options).filter((k) => !CHILD_FIELDS.includes(k));
    if (unknown.length) throw new Error(`startChild: unknown field(s) ${unknown.join(', ')}; allowed: ${CHILD_FIELDS.join(', ')}`);
    if (typeof workflow !== 'string' || !workflow) throw new Error('startChild: workflow must be a non-empty string');
    if (!Array.isArray(activities) || !activities.length) throw new Error('startChild: activities must be a non-empty array');
    return { kind: 'StartChild', request: { workflow, activities, ...options } };
  },
});

export class InputUnavailable extends Error {}

/** Delay before retry attempt + 1: 2^attempt seconds, at most 900 (the Java QueueBridgeRules). */
export const backoffSeconds = (attempt) => Math.min(900, 2 ** Math.min(attempt, 10));

function envInt(name, fallback, minimum) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  const v = Number(raw);
  if (v < minimum) throw new Error(`${name} must be ${minimum} or more, got ${v}`);
  return v;
}

function table() {
  const t = process.env.STATUS_TABLE;
  if (!t) throw new Error('STATUS_TABLE is not set: import <Stack>-status-name into the function\'s environment');
  return t;
}

function jsonType(v) {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** DEBUG lines only when asked: Lambda's log level (AWS_LAMBDA_LOG_LEVEL) or POWERTOOLS_LOG_LEVEL says DEBUG or TRACE. */
const debugEnabled = () => ['DEBUG', 'TRACE'].includes(
  (process.env.AWS_LAMBDA_LOG_LEVEL || process.env.POWERTOOLS_LOG_LEVEL || '').toUpperCase());
const keys = (m, plugin, extra) => JSON.stringify({ uid: m.uid, workflow: m.workflow, activity: m.activity, stage: m.stage, plugin, ...extra });

// ---- AWS clients, made once per instance ------------------------------------------------------------------
class Clients {
  #made = {};
  dynamodb() { return (this.#made.dynamodb ??= new DynamoDBClient({})); }
  async s3() {
    if (!this.#made.s3) {
      const sdk = await optional('@aws-sdk/client-s3', 'outputs over OUTPUT_INLINE_MAX_BYTES and inputs by reference');
      this.#made.s3 = { sdk, client: new sdk.S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) }) };
    }
    return this.#made.s3;
  }
  async sqs() {
    if (!this.#made.sqs) {
      const sdk = await optional('@aws-sdk/client-sqs', 'the queue bridge (PLUGIN_QUEUE_URL)');
      this.#made.sqs = { sdk, client: new sdk.SQSClient({}) };
    }
    return this.#made.sqs;
  }
}

async function optional(name, why) {
  try {
    return await import(name);
  } catch (e) {
    throw new Error(`${name} is needed for ${why}: add it to your package.json dependencies (${e.message})`);
  }
}

async function readPayload(clients, ref, what) {
  if (!ref || typeof ref.bucket !== 'string' || typeof ref.key !== 'string' || typeof ref.sha256 !== 'string' || ref.size == null) {
    throw new InputUnavailable(`${what}: its reference is not {bucket, key, sha256, size}: ${JSON.stringify(ref)?.slice(0, 120)}`);
  }
  let bytes;
  if (typeof ref.url === 'string') {
    // A plugin's read: the presigned link the engine put in the message (the plugin's role has no read on the bucket).
    if (!/^https?:\/\//.test(ref.url)) throw new InputUnavailable(`${what}.outputRef.url is not an http(s) URL`);
    const res = await fetch(ref.url);
    if (res.status === 403 || res.status === 404) {
      throw new InputUnavailable(`${what}: its payload object s3://${ref.bucket}/${ref.key} is gone (expired with the run's retention, or deleted)`
        + ` or its link expired (HTTP ${res.status}; links live PAYLOAD_URL_SECONDS)`);
    }
    if (!res.ok) throw new Error(`${what}: reading its payload object answered HTTP ${res.status}; a retry may succeed`);
    bytes = Buffer.from(await res.arrayBuffer());
  } else try {
    // An operator's or a test's reference without a link: the caller's own credentials.
    const { sdk, client } = await clients.s3();
    const got = await client.send(new sdk.GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    bytes = Buffer.from(await got.Body.transformToByteArray());
  } catch (e) {
    if (['NoSuchKey', 'NoSuchBucket', 'NotFound'].includes(e?.name)) {
      throw new InputUnavailable(`${what}: its payload object s3://${ref.bucket}/${ref.key} is gone (expired with the run's retention, or deleted)`);
    }
    throw e;
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== Number(ref.size) || sha !== ref.sha256) {
    throw new InputUnavailable(`${what}: its payload object s3://${ref.bucket}/${ref.key} does not match its reference `
      + `(sha256 ${sha}, ${bytes.length} bytes; expected ${ref.sha256}, ${ref.size} bytes)`);
  }
  return JSON.parse(bytes.toString('utf8'));
}

// ---- the execution item: the writes of docs/protocol.md, section 7 ---------------------------------------
export class Execution {
  constructor(clients, plugin, message, mandatory, order, timeout) {
    this.clients = clients;
    this.plugin = plugin;
    this.message = message;
    this.mandatory = Boolean(mandatory);
    this.order = Number(order);
    this.key = { uid: S(`~${plugin}~${message.uid}`), workflow: S([message.workflow, message.activity, message.stage].join(SEP)) };
    // The run's pluginTimeout wins; else ours, which the claim records so the engine judges heartbeats by it.
    this.timeout = Number(message.pluginTimeout || timeout);
    this.recordTimeout = !message.pluginTimeout;
    this.attempt = undefined;
  }

  /** Creates the item In Progress, or takes it back when Not Started, stale or due for a re-run. */
  async claim(alwaysRun = false) {
    const now = Date.now();
    const m = this.message;
    const sets = ['#state = :ip', '#startedAt = :now', '#heartbeatAt = :now', '#attempt = if_not_exists(#attempt, :zero) + :one',
      '#mandatory = :mandatory', '#order = if_not_exists(#order, :order)', '#runUid = if_not_exists(#runUid, :uid)',
      '#runWorkflow = if_not_exists(#runWorkflow, :workflow)', '#activity = if_not_exists(#activity, :activity)',
      '#stage = if_not_exists(#stage, :stage)'];
    if (this.recordTimeout) sets.push('#timeout = :timeout');
    const condition = alwaysRun ? null : 'attribute_not_exists(#state) OR #state = :ns OR (#state = :ip AND attribute_not_exists(#child)'
      + ' AND (#heartbeatAt < :stale OR #rerunAt <= :now))';
    const attributes = await this.#update(sets, ['#rerunAt'], condition, {
      ':ip': S('In Progress'), ':ns': S('Not Started'), ':now': N(now), ':zero': N(0), ':mandatory': { BOOL: this.mandatory },
      ':order': N(this.order), ':uid': S(m.uid), ':workflow': S(m.workflow), ':activity': S(m.activity), ':stage': S(m.stage),
      ':timeout': N(this.timeout), ':stale': N(now - this.timeout * 1000),
    }, true);
    if (attributes === null) return false;
    this.attempt = Number(attributes.attempt?.N ?? 1);
    return true;
  }

  heartbeat() {
    return this.#update(['#heartbeatAt = :now'], [], '#state = :ip', { ':ip': S('In Progress') });
  }

  /** Complete or Error over our own running claim; the message is cut to 180 characters. */
  report(state, text) {
    if (!['Complete', 'Error'].includes(state)) throw new Error(`report: state must be Complete or Error, got '${state}'`);
    const sets = ['#state = :st', '#endedAt = :now'];
    const values = { ':ip': S('In Progress'), ':st': S(state) };
    if (text) {
      sets.push('#message = :msg');
      values[':msg'] = S(String(text).slice(0, MESSAGE_MAX));
    }
    return this.#update(sets, [], '#state = :ip', values);
  }

  /** Complete with an output: inline up to OUTPUT_INLINE_MAX_BYTES, else in the payload bucket. Returns {written, problem}. */
  async complete(output) {
    const refuse = async (problem) => ({ written: await this.report('Error', problem), problem });
    if (jsonType(output) !== 'object') return refuse(`output must be a JSON object, got ${jsonType(output)}`);
    let data;
    try {
      data = Buffer.from(JSON.stringify(output), 'utf8');
    } catch (e) {
      return refuse(`output is not JSON: ${e.message}`);
    }
    const inlineMax = envInt('OUTPUT_INLINE_MAX_BYTES', 16384, 0);
    const hardMax = envInt('OUTPUT_MAX_BYTES', 10 * 1024 * 1024, 1);
    if (data.length > hardMax) return refuse(`output is ${data.length} bytes of JSON, over the hard limit of ${hardMax} (OUTPUT_MAX_BYTES)`);
    const values = { ':ip': S('In Progress'), ':c': S('Complete') };
    let target;
    if (data.length <= inlineMax) {
      values[':out'] = S(data.toString('utf8'));
      target = '#output = :out';
    } else {
      let ref;
      try {
        ref = await this.#putPayload(data);
      } catch (e) {
        return refuse(`output could not be stored in the payload bucket: ${e.message}`);
      }
      values[':ref'] = { M: { bucket: S(ref.bucket), key: S(ref.key), sha256: S(ref.sha256), size: N(ref.size) } };
      target = '#outputRef = :ref';
    }
    return { written: await this.#update(['#state = :c', '#endedAt = :now', target], [], '#state = :ip', values), problem: null };
  }

  async #putPayload(data) {
    const bucket = process.env.PAYLOAD_BUCKET;
    if (!bucket) throw new Error('this output needs the payload bucket, but PAYLOAD_BUCKET is not set (import <Stack>-payload-bucket into the function\'s environment)');
    const m = this.message;
    const key = `runs/${m.uid}/~${this.plugin}~/${m.workflow}/${m.activity}/${m.stage}.json`;
    const { sdk, client } = await this.clients.s3();
    await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentType: 'application/json', ServerSideEncryption: 'AES256' }));
    return { bucket, key, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
  }

  /** Schedule / RetryError: stays In Progress; the engine re-publishes to us at rerunAt. */
  rerunAt(atMs, text) {
    return this.#update(['#rerunAt = :at', '#heartbeatAt = :now', '#message = :msg'], [], '#state = :ip',
      { ':ip': S('In Progress'), ':at': N(Math.round(atMs)), ':msg': S(String(text).slice(0, MESSAGE_MAX)) });
  }

  /** Give the claim back without a result (Not Started), so a retry of the delivery can claim again. */
  release(why) {
    const sets = ['#state = :ns'];
    const values = { ':ip': S('In Progress'), ':ns': S('Not Started') };
    if (why) {
      sets.push('#message = :msg');
      values[':msg'] = S(`released: ${why}`.slice(0, MESSAGE_MAX));
    }
    return this.#update(sets, [], '#state = :ip', values);
  }

  /** Ask the engine once, over our claim, to start a child workflow (docs/protocol.md, section 9). */
  startChild(request) {
    return this.#update(['#child = :req', '#heartbeatAt = :now', '#message = :msg'], [], '#state = :ip AND attribute_not_exists(#child)',
      { ':ip': S('In Progress'), ':req': { M: { request: S(JSON.stringify(request)) } },
        ':msg': S(`waiting for child workflow ${request.workflow}`.slice(0, MESSAGE_MAX)) });
  }

  /** This item's state, or null: the one read the published plugin policy allows. */
  async state() {
    const got = await this.clients.dynamodb().send(new GetItemCommand({ TableName: table(), Key: this.key, ConsistentRead: true }));
    return got.Item?.state?.S ?? null;
  }

  async #update(sets, removes, condition, values, returns = false) {
    // Every write stamps updatedAt and adds 1 to version.
    const all = { ':now': N(Date.now()), ...values, ':one': N(1) };
    const expression = `SET ${[...sets, '#updatedAt = :now'].join(', ')} ADD #version :one`
      + (removes.length ? ` REMOVE ${removes.join(', ')}` : '');
    const used = `${expression} ${condition ?? ''}`;
    const input = {
      TableName: table(), Key: this.key, UpdateExpression: expression,
      // Names always via placeholders (state, order, stage... are reserved); only the ones used.
      ExpressionAttributeNames: Object.fromEntries([...used.matchAll(/#(\w+)/g)].map(([p, name]) => [p, name])),
      ExpressionAttributeValues: Object.fromEntries(Object.entries(all).filter(([k]) => new RegExp(`${k}\\b`).test(used))),
    };
    if (condition) input.ConditionExpression = condition;
    if (returns) input.ReturnValues = 'UPDATED_NEW';
    try {
      const reply = await this.clients.dynamodb().send(new UpdateItemCommand(input));
      return returns ? (reply.Attributes ?? {}) : true;
    } catch (err) {
      if (err?.name === 'ConditionalCheckFailedException') return returns ? null : false;
      throw err;
    }
  }
}

// ---- what the work sees ----------------------------------------------------------------------------------
export class Context {
  #execution;
  #clients;
  #inputs;
  constructor(message, attempt, execution, clients) {
    this.message = message;
    this.attempt = attempt;
    this.#execution = execution;
    this.#clients = clients;
    this.lost = false; // true once a heartbeat found the claim gone: stop working
  }
  get uid() { return this.message.uid; }
  get workflow() { return this.message.workflow; }
  get activity() { return this.message.activity; }
  get stage() { return this.message.stage; }
  get metadata() { return this.message.metadata ?? {}; }

  /** true while the claim is ours; false (and `lost`) once it ended or was taken over. */
  async heartbeat() {
    const ok = await this.#execution.heartbeat();
    if (!ok) this.lost = true;
    return ok;
  }

  /** The whole inputs document, {activity: {plugin: {output | outputRef}}} (inputsRef fetched). */
  async inputs() {
    if (this.#inputs === undefined) {
      if (this.message.inputsRef != null) {
        const doc = await readPayload(this.#clients, this.message.inputsRef, 'inputsRef');
        if (jsonType(doc) !== 'object') throw new InputUnavailable('inputsRef: its payload object is not a JSON object');
        this.#inputs = doc;
      } else {
        this.#inputs = this.message.inputs ?? {};
      }
    }
    return this.#inputs;
  }

  /** The output of `plugin` in `activity` (fetched and checked when it is a reference). */
  async input(activity, plugin) {
    const doc = await this.inputs();
    const wire = doc[activity]?.[plugin];
    if (wire == null) {
      const have = Object.entries(doc).flatMap(([a, ps]) => Object.keys(ps ?? {}).map((p) => `${a}.${p}`)).sort();
      throw new InputUnavailable(`no input ${activity}.${plugin} in this stage's inputs (it has ${have.length ? have.join(', ') : 'none'})`);
    }
    if ('output' in wire) return wire.output;
    if ('outputRef' in wire) return readPayload(this.#clients, wire.outputRef, `input ${activity}.${plugin}`);
    throw new InputUnavailable(`input ${activity}.${plugin} has neither output nor outputRef`);
  }
}

function check(m) {
  for (const field of ['uid', 'workflow', 'activity', 'stage']) {
    if (typeof m?.[field] !== 'string' || !m[field]) throw new Error(`stage message lacks '${field}'`);
  }
  if (!STAGES.includes(m.stage)) throw new Error(`unknown stage '${m.stage}'; expected pre, parallel or post`);
}

function parse(body) {
  let m;
  try {
    m = JSON.parse(body);
  } catch (e) {
    throw new Error(`stage message is not JSON: ${e.message}`);
  }
  if (jsonType(m) !== 'object') throw new Error('stage message must be a JSON object');
  return m;
}

const late = (m) => m.plugin == null && m.stage === 'parallel' && m.windowEndsAt != null
  && Date.now() > m.windowEndsAt + LATE_SKEW_TOLERANCE_MS && !m.listsOptional;

/** Stable per run, activity, stage and plugin (the Java QueueBridgeRules.deduplicationId). */
export const deduplicationId = (m, plugin) => createHash('sha256').update([m.uid, m.workflow, m.activity, m.stage, plugin].join('|')).digest('hex');

// ---- the plugin ------------------------------------------------------------------------------------------
/**
 * Knobs (environment): STATUS_TABLE (required), PAYLOAD_BUCKET (large outputs), PLUGIN_MAX_ATTEMPTS (4),
 * OUTPUT_INLINE_MAX_BYTES (16384), OUTPUT_MAX_BYTES (10485760), PLUGIN_QUEUE_URL (queue bridge),
 * PLUGIN_MAX_RECEIVE_COUNT (3).
 */
export class Plugin {
  #info;
  #work;
  constructor(name, { mandatory = true, timeout = 900, registerTimeout = 30, order = 1000, overrides = {}, alwaysRun = false,
    idempotent = true, description, fifoKey } = {}) {
    if (typeof name !== 'string' || !name || name.startsWith('~')) throw new Error(`plugin name must be a non-empty string not starting with '~', got ${JSON.stringify(name)}`);
    this.name = name;
    this.#info = { pluginName: name, default: { mandatory: Boolean(mandatory), pluginRegisterTimeout: registerTimeout, timeout },
      overrides: { ...overrides }, order, alwaysRun: Boolean(alwaysRun), idempotent: Boolean(idempotent) };
    if (description) this.#info.description = description;
    if (fifoKey) this.#info.fifoKey = fifoKey;
    this.clients = new Clients();
    this.handler = (event, context) => this.#handle(event, context); // the Lambda handler: `export const handler = plugin.handler`
  }

  info() { return structuredClone(this.#info); }

  /** The work: async (ctx) => a Result (undefined means Complete without output). */
  process(fn) { this.#work = fn; return this; }

  isMandatory(activity) { return this.#info.overrides[activity]?.mandatory ?? this.#info.default.mandatory; }

  timeoutFor(activity) { return Number(this.#info.overrides[activity]?.timeout ?? this.#info.default.timeout); }

  /** This plugin's execution item for a stage message (e.g. to report later, from a callback). */
  execution(message, order) {
    check(message);
    return new Execution(this.clients, this.name, message, this.isMandatory(message.activity), order ?? this.#info.order,
      this.timeoutFor(message.activity));
  }

  /** The outcome of work that returned Wait: Complete or Error (false: the claim is no longer ours). */
  reportLater(message, state, text) { return this.execution(message).report(state, text); }

  async #handle(event) {
    if (event?.action === 'initialize') return this.info();
    const records = event?.Records;
    if (!Array.isArray(records) || records.length === 0) {
      throw new Error(`expected an SNS or SQS event with Records, or {"action":"initialize"}, got: ${JSON.stringify(event)?.slice(0, 200)}`);
    }
    const outcomes = [];
    const failures = [];
    let queued = false;
    for (const record of records) {
      if (record?.Sns) {
        if (record.Sns.Message === undefined) throw new Error('SNS record without Sns.Message');
        const m = parse(record.Sns.Message);
        outcomes.push(process.env.PLUGIN_QUEUE_URL ? await this.bridge(m) : await this.handleMessage(m));
      } else if (record && 'body' in record) {
        queued = true;
        if (!(await this.workQueued(record))) failures.push({ itemIdentifier: record.messageId });
      } else {
        throw new Error(`record is neither SNS nor SQS: ${JSON.stringify(record)?.slice(0, 200)}`);
      }
    }
    return queued ? { batchItemFailures: failures } : outcomes;
  }

  /** One stage message: skip, claim, work (with heartbeats), write the result. Returns what happened. */
  async handleMessage(message) {
    const execution = await this.#start(message);
    if (typeof execution === 'string') return execution;
    const result = await this.#run(message, execution, execution.attempt);
    return this.#apply(result, message, execution, execution.attempt);
  }

  async #start(message) {
    check(message);
    if (message.plugin != null && message.plugin !== this.name) return 'not mine';
    const own = message.plugins?.mandatory?.[this.name] ?? message.plugins?.optional?.[this.name];
    if (['Complete', 'Do Not Run'].includes(own?.state) && !this.#info.alwaysRun) return 'already done';
    if (own == null && !this.isMandatory(message.activity) && late(message)) return 'too late';
    const execution = this.execution(message, own?.order);
    if (!(await execution.claim(this.#info.alwaysRun))) return 'duplicate';
    // A step, not an outcome: the outcome line carries the attempt (console.debug: dropped below DEBUG on Lambda).
    if (debugEnabled()) console.debug(keys(message, this.name, { event: 'plugin claimed', attempt: execution.attempt }));
    return execution;
  }

  async #run(message, execution, attempt) {
    if (!this.#work) throw new Error(`plugin ${this.name} has no work: call plugin.process(async (ctx) => ...)`);
    const ctx = new Context(message, attempt, execution, this.clients);
    // Heartbeat every timeout / 3 while the work runs (not more often than every second).
    const timer = setInterval(() => {
      ctx.heartbeat().then((ok) => { if (!ok) clearInterval(timer); })
        .catch((e) => console.warn(keys(message, this.name, { event: 'heartbeat failed', cause: e.message })));
    }, Math.max(1000, (execution.timeout * 1000) / 3));
    try {
      return (await this.#work(ctx)) ?? Result.complete();
    } catch (e) {
      return Result.fatal(e?.message || String(e));
    } finally {
      clearInterval(timer);
    }
  }

  async #apply(result, message, execution, attempt) {
    const log = (extra) => keys(message, this.name, { attempt, ...extra });
    switch (result?.kind) {
      case 'Complete': {
        if (result.output !== NO_OUTPUT) {
          const { problem } = await execution.complete(result.output);
          if (problem) {
            console.warn(log({ event: 'plugin output refused', cause: problem }));
            return 'error';
          }
        } else {
          await execution.report('Complete');
        }
        console.log(log({ event: 'plugin completed' }));
        return 'complete';
      }
      case 'FatalError':
        await execution.report('Error', result.message);
        console.warn(log({ event: 'plugin failed', cause: result.message }));
        return 'error';
      case 'RetryError': {
        if (attempt >= envInt('PLUGIN_MAX_ATTEMPTS', 4, 1)) {
          await execution.report('Error', `gave up after ${attempt} attempts: ${result.message}`);
          console.warn(log({ event: 'plugin gave up', cause: result.message }));
          return 'error';
        }
        const delay = backoffSeconds(attempt);
        await execution.rerunAt(Date.now() + delay * 1000, `attempt ${attempt} failed, retrying in ${delay} s: ${result.message}`);
        console.log(log({ event: 'plugin will retry', delaySeconds: delay, cause: result.message }));
        return 'retry';
      }
      case 'Schedule': {
        const delayMs = Math.round(Math.max(0, result.delaySeconds) * 1000);
        await execution.rerunAt(Date.now() + delayMs, result.message || `scheduled to run again in ${Math.floor(delayMs / 1000)} s`);
        console.log(log({ event: 'plugin scheduled a re-run', delaySeconds: Math.floor(delayMs / 1000) }));
        return 'schedule';
      }
      case 'StartChild':
        await execution.startChild(result.request);
        console.log(log({ event: 'plugin asked for a child workflow' }));
        return 'child';
      case 'Wait':
        console.log(log({ event: 'plugin waits for a later report' }));
        return 'wait';
      default:
        await execution.report('Error', `the work returned ${JSON.stringify(result)}, not a Result`);
        console.warn(log({ event: 'plugin failed', cause: 'the work did not return a Result' }));
        return 'error';
    }
  }

  // ---- the queue-bridge pattern (SNS -> bridge claims -> SQS -> worker reports) ----
  /** Claim, then forward the stage message to PLUGIN_QUEUE_URL (attempt 1). */
  async bridge(message) {
    const execution = await this.#start(message);
    if (typeof execution === 'string') return execution;
    try {
      await this.#send(message, 1, 0);
    } catch (e) {
      // Give the claim back: Lambda's retry of this delivery claims and queues again, where a kept claim
      // would refuse it and leave the work unqueued until the plugin timeout.
      const released = await execution.release(`could not queue the work: ${e?.name ?? 'Error'}`);
      console.warn(keys(message, this.name, { event: 'work could not be queued; the claim is given back and the stage message will be retried',
        cause: String(e?.message ?? e), claimReleased: Boolean(released),
        action: 'check that PLUGIN_QUEUE_URL names an existing queue this function may send to' }));
      throw e;
    }
    console.log(keys(message, this.name, { event: 'plugin claimed; work queued', attempt: execution.attempt }));
    return 'queued';
  }

  async #send(message, attempt, delaySeconds) {
    const url = process.env.PLUGIN_QUEUE_URL;
    const input = { QueueUrl: url, MessageBody: JSON.stringify(message),
      MessageAttributes: { attempt: { DataType: 'Number', StringValue: String(attempt) } } };
    if (url.endsWith('.fifo')) {
      if (delaySeconds > 0) throw new Error('Schedule and RetryError need a standard queue: FIFO queues cannot delay one message');
      input.MessageGroupId = String(message.metadata?.[this.#info.fifoKey] ?? message.uid);
      input.MessageDeduplicationId = `${deduplicationId(message, this.name)}-${attempt}`;
    } else if (delaySeconds > 0) {
      input.DelaySeconds = Math.min(900, Math.floor(delaySeconds));
    }
    const { sdk, client } = await this.clients.sqs();
    await client.send(new sdk.SendMessageCommand(input));
  }

  /** The worker: one SQS record. false asks for it to be received again. */
  async workQueued(record) {
    const message = parse(record.body);
    check(message);
    const attempt = Number(record.messageAttributes?.attempt?.stringValue ?? 1);
    const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    const execution = this.execution(message);
    if (!this.#info.alwaysRun && ['Complete', 'Error', 'Do Not Run'].includes(await execution.state())) return true;
    const ctx = new Context(message, attempt, execution, this.clients);
    let result;
    try {
      result = (await this.#work(ctx)) ?? Result.complete();
    } catch (e) {
      const why = e?.message || String(e);
      if (e instanceof InputUnavailable) {
        await execution.report('Error', why);
        return true;
      }
      if (receives >= envInt('PLUGIN_MAX_RECEIVE_COUNT', 3, 1)) {
        await execution.report('Error', `failed ${receives} times, sent to the dead-letter queue: ${why}`);
      }
      return false;
    }
    if (result.kind === 'Schedule') {
      await execution.heartbeat();
      await this.#send(message, attempt, Math.min(900, Math.max(0, result.delaySeconds)));
    } else if (result.kind === 'RetryError') {
      if (attempt >= envInt('PLUGIN_MAX_ATTEMPTS', 4, 1)) {
        await execution.report('Error', `gave up after ${attempt} attempts: ${result.message}`);
      } else {
        await execution.heartbeat();
        await this.#send(message, attempt + 1, backoffSeconds(attempt));
      }
    } else if (result.kind === 'Wait') {
      await execution.heartbeat();
    } else {
      await this.#apply(result, message, execution, attempt);
    }
    return true;
  }
}
