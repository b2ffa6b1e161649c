// notify-node: an optional parallel-stage plugin written from docs/protocol.md alone (AWS SDK for
// JavaScript v3, no orchestrator library). It queues one notification per run and activity in its
// own outbox table. Its status lives in an item of its own per run, activity and stage (protocol v3);
// the writes are the protocol's conditional UpdateItems, so a duplicate SNS delivery finds the claim
// taken and does no work.
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

const STAGES = ['pre', 'parallel', 'post'];
const SEP = '\u001f'; // the unit separator: joins workflow, activity and stage in the execution item's sort key
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
  if (!STAGES.includes(message.stage)) throw new Error(`unknown stage '${message.stage}'; expected pre, parallel or post`);
  if (message.plugin != null && message.plugin !== PLUGIN) return 'not mine';
  const own = message.plugins?.mandatory?.[PLUGIN] ?? message.plugins?.optional?.[PLUGIN];
  if (['Complete', 'Do Not Run'].includes(own?.state)) return 'already done';
  const mandatory = INFO.overrides[message.activity]?.mandatory ?? INFO.default.mandatory;
  // The engine would not count an optional joiner past the registration window: spare the work.
  if (own === undefined && !mandatory && lateForWindow(message)) return 'too late';
  const execution = new Execution(message, mandatory, own?.order ?? INFO.order);
  if (!(await execution.claim())) return 'duplicate';
  try {
    await work(message);
  } catch (e) {
    await execution.report('Error', e?.message || String(e));
    return 'error';
  }
  await execution.report('Complete');
  return 'complete';
}

// A parallel broadcast (no 'plugin') that reached us after its registration window ended.
// Past windowEndsAt by more than 60 s of our clock (which may be skewed; the engine judges by the table's clock),
// in a stage that lists no optional plugin (docs/protocol.md, rule join-window).
const LATE_SKEW_TOLERANCE_MS = 60000;
const lateForWindow = (m) => m.plugin == null && m.stage === 'parallel' && m.windowEndsAt != null
  && Date.now() > m.windowEndsAt + LATE_SKEW_TOLERANCE_MS && !m.listsOptional;

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

// This plugin's own execution item for one run, activity and stage (docs/protocol.md, protocol v3).
// Only this plugin and the engine write it, each write one conditional UpdateItem and no read.
class Execution {
  constructor(message, mandatory, order) {
    this.message = message;
    this.mandatory = mandatory;
    this.order = order;
    this.key = { uid: S(`~${PLUGIN}~${message.uid}`), workflow: S([message.workflow, message.activity, message.stage].join(SEP)) };
    // The run's pluginTimeout wins; else ours, which the claim records so the engine judges staleness by it.
    this.timeout = Number(message.pluginTimeout ?? DEFAULT_TIMEOUT);
    this.recordTimeout = message.pluginTimeout == null;
  }

  // Creates the item In Progress, or takes it back when Not Started, stale or due for a re-run.
  async claim() {
    const now = Date.now();
    const m = this.message;
    const sets = ['#state = :ip', '#startedAt = :now', '#heartbeatAt = :now', '#attempt = if_not_exists(#attempt, :zero) + :one',
      '#mandatory = :mandatory', '#order = if_not_exists(#order, :order)', '#runUid = if_not_exists(#runUid, :uid)',
      '#runWorkflow = if_not_exists(#runWorkflow, :workflow)', '#activity = if_not_exists(#activity, :activity)',
      '#stage = if_not_exists(#stage, :stage)'];
    if (this.recordTimeout) sets.push('#timeout = :timeout');
    return this.update(sets, ['#rerunAt'],
      'attribute_not_exists(#state) OR #state = :ns OR (#state = :ip AND attribute_not_exists(#child)'
        + ' AND (#heartbeatAt < :stale OR #rerunAt <= :now))',
      { ':ip': S('In Progress'), ':ns': S('Not Started'), ':now': N(now), ':zero': N(0), ':mandatory': { BOOL: this.mandatory },
        ':order': N(this.order), ':uid': S(m.uid), ':workflow': S(m.workflow), ':activity': S(m.activity), ':stage': S(m.stage),
        ':timeout': N(this.timeout), ':stale': N(now - this.timeout * 1000) });
  }

  // The outcome, only over our own running claim; the message is cut to 180 characters.
  async report(state, text) {
    const sets = ['#state = :st', '#endedAt = :now'];
    const values = { ':ip': S('In Progress'), ':st': S(state), ':now': N(Date.now()) };
    if (text) {
      sets.push('#message = :msg');
      values[':msg'] = S(text.slice(0, 180));
    }
    return this.update(sets, [], '#state = :ip', values);
  }

  async update(sets, removes, condition, values) {
    // Every write stamps updatedAt and adds 1 to version, as the protocol asks.
    const all = { ':now': N(Date.now()), ...values, ':one': N(1) };
    const expression = `SET ${[...sets, '#updatedAt = :now'].join(', ')} ADD #version :one`
      + (removes.length ? ` REMOVE ${removes.join(', ')}` : '');
    const used = `${expression} ${condition}`;
    try {
      await dynamodb.send(new UpdateItemCommand({
        TableName: process.env.STATUS_TABLE,
        Key: this.key,
        UpdateExpression: expression,
        ConditionExpression: condition,
        // Every attribute name goes through a placeholder (state, order, stage... are reserved words);
        // DynamoDB refuses placeholders an expression does not use.
        ExpressionAttributeNames: Object.fromEntries([...used.matchAll(/#(\w+)/g)].map(([p, name]) => [p, name])),
        ExpressionAttributeValues: Object.fromEntries(Object.entries(all).filter(([k]) => new RegExp(`${k}\\b`).test(used))),
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || err?.name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}
