// notify-node: an optional parallel-stage plugin written from docs/protocol.md alone (AWS SDK for
// JavaScript v3, no orchestrator library). It queues one notification per run and activity in its
// own outbox table. Status writes are the protocol's conditional UpdateItems, so a duplicate SNS
// delivery finds the claim taken and does no work.
import { DynamoDBClient, UpdateItemCommand, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

const PLUGIN = 'notify-node';
const DEFAULT_TIMEOUT = 60; // seconds without a heartbeat after which another delivery may take over

export const INFO = {
  pluginName: PLUGIN,
  default: { mandatory: false, pluginRegisterTimeout: 30, timeout: DEFAULT_TIMEOUT },
  overrides: {},
  order: 100,
  alwaysRun: false,
  idempotent: true,
  description: 'queues a notification to the tenant when an activity runs (Node.js example)',
};

const STAGE_KEYS = { pre: 'pre', parallel: 'async', post: 'post' };
const dynamodb = new DynamoDBClient({});
const S = (v) => ({ S: String(v) });
const N = (v) => ({ N: String(v) });

export const handler = async (event) => {
  if (event?.action === 'initialize') return INFO;
  const records = event?.Records;
  if (!Array.isArray(records) || records.length === 0) {
    throw new Error(`expected an SNS event with Records or {"action":"initialize"}, got: ${JSON.stringify(event).slice(0, 200)}`);
  }
  const outcomes = [];
  for (const record of records) {
    const body = record?.Sns?.Message;
    if (body === undefined) throw new Error('SNS record without Sns.Message');
    outcomes.push(await handle(JSON.parse(body)));
  }
  return outcomes;
};

async function handle(message) {
  for (const field of ['uid', 'workflow', 'activity', 'stage']) {
    if (typeof message[field] !== 'string') throw new Error(`stage message lacks '${field}'`);
  }
  if (!(message.stage in STAGE_KEYS)) throw new Error(`unknown stage '${message.stage}'; expected pre, parallel or post`);
  if (message.plugin != null && message.plugin !== PLUGIN) return 'not mine';
  const plugins = message.plugins ?? {};
  const listed = ['mandatory', 'optional'].find((g) => plugins[g]?.[PLUGIN] !== undefined);
  if (listed && ['Complete', 'Do Not Run'].includes(plugins[listed][PLUGIN].state)) return 'already done';
  const mandatory = INFO.overrides[message.activity]?.mandatory ?? INFO.default.mandatory;
  const entry = new Entry(message, listed ?? (mandatory ? 'mandatory' : 'optional'));
  if (!(await entry.claim(listed !== undefined))) return 'duplicate';
  try {
    await work(message);
  } catch (e) {
    await entry.report('Error', e?.message || String(e));
    return 'error';
  }
  await entry.report('Complete');
  return 'complete';
}

async function work(message) {
  const metadata = message.metadata ?? {};
  if ('conformanceFail' in metadata) throw new Error(String(metadata.conformanceFail)); // conformance error case
  await dynamodb.send(new UpdateItemCommand({
    TableName: process.env.OUTBOX_TABLE,
    Key: { id: S(`${message.uid}|${message.workflow}|${message.activity}`) },
    UpdateExpression: 'SET recipient = :r, queuedAt = :t ADD sent :one',
    ExpressionAttributeValues: { ':r': S(metadata.tenantId ?? message.uid), ':t': N(Date.now()), ':one': N(1) },
  }));
}

// This plugin's entry in the run's status item, written only with the protocol's conditional updates.
class Entry {
  constructor(message, group) {
    this.message = message;
    this.names = {
      '#a': 'activities', '#act': message.activity, '#stg': STAGE_KEYS[message.stage], '#grp': group, '#p': PLUGIN,
      '#status': 'status', '#state': 'state', '#v': 'version', '#u': 'updatedAt',
    };
    this.entry = '#a.#act.#stg.#grp.#p';
    this.open = '#a.#act.#stg.#status IN (:ip, :mc)';
    // The run's pluginTimeout wins; else ours, which the claim records so the engine judges staleness by it.
    this.timeout = Number(message.pluginTimeout ?? DEFAULT_TIMEOUT);
    this.recordTimeout = message.pluginTimeout == null;
  }

  async claim(listed) {
    const now = Date.now();
    const e = this.entry;
    const values = { ':ip': S('In Progress'), ':mc': S('Mandatory Completed'), ':now': N(now), ':one': N(1) };
    if (listed) {
      return this.update(
        `SET ${e}.#state = :ip, ${e}.#sa = :now, ${e}.#hb = :now, ${e}.#att = if_not_exists(${e}.#att, :zero) + :one`
          + (this.recordTimeout ? `, ${e}.#to = :to` : '') + `, #u = :now REMOVE ${e}.#rr ADD #v :one`,
        `${this.open} AND (${e}.#state = :ns OR (${e}.#state = :ip AND (${e}.#hb < :stale OR ${e}.#rr <= :now)))`,
        { '#hb': 'heartbeatAt', '#rr': 'rerunAt', '#sa': 'startedAt', '#att': 'attempt', '#to': 'timeout' },
        { ...values, ':ns': S('Not Started'), ':stale': N(now - this.timeout * 1000), ':zero': N(0), ':to': N(this.timeout) });
    }
    // Not listed: join the parallel stage while its registration window is open.
    const joined = await this.update(
      `SET ${e} = :entry, #u = :now ADD #v :one`,
      `${this.open} AND attribute_not_exists(${e}) AND #a.#act.#stg.#we > :now`,
      { '#we': 'windowEndsAt' },
      { ...values, ':entry': { M: { state: S('In Progress'), order: N(INFO.order), startedAt: N(now), heartbeatAt: N(now), attempt: N(1), timeout: N(this.timeout) } } });
    // The engine may have listed us after this message left: then claim the listed entry.
    return joined || this.claim(true);
  }

  async report(state, text) {
    const now = Date.now();
    const e = this.entry;
    const values = { ':ip': S('In Progress'), ':mc': S('Mandatory Completed'), ':st': S(state), ':now': N(now), ':one': N(1) };
    let sets = `${e}.#state = :st, ${e}.#ea = :now, #u = :now`;
    if (text) {
      values[':msg'] = S(text.slice(0, 180));
      sets += `, ${e}.#msg = :msg`;
    }
    return this.update(`SET ${sets} ADD #v :one`, `${this.open} AND ${e}.#state = :ip`, { '#ea': 'endedAt', '#msg': 'message' }, values);
  }

  async update(expression, condition, extraNames, values) {
    const used = `${expression} ${condition}`;
    // DynamoDB refuses placeholders an expression does not use.
    const pick = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => new RegExp(`${k}(?![A-Za-z0-9_])`).test(used)));
    try {
      await dynamodb.send(new UpdateItemCommand({
        TableName: process.env.STATUS_TABLE,
        Key: { uid: S(this.message.uid), workflow: S(this.message.workflow) },
        UpdateExpression: expression,
        ConditionExpression: `${condition} AND attribute_exists(uid)`,
        ExpressionAttributeNames: pick({ ...this.names, ...extraNames }),
        ExpressionAttributeValues: pick(values),
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || err?.name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}
