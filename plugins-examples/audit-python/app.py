"""audit-python: a post-stage plugin written from docs/protocol.md alone (boto3, no orchestrator library).

It writes one audit record per run and activity into its own table. Its status lives in an item of
its own per run, activity and stage (protocol v3); the writes are the protocol's conditional
UpdateItems, so a duplicate SNS delivery finds the claim taken and does no work.
"""
import json
import os
import re
import time

import boto3
from botocore.exceptions import ClientError

PLUGIN = "audit-python"
DEFAULT_TIMEOUT = 60  # seconds without a heartbeat after which the engine may hand the work to another delivery

INFO = {
    "pluginName": PLUGIN,
    "default": {"mandatory": True, "pluginRegisterTimeout": 30, "timeout": DEFAULT_TIMEOUT},
    "overrides": {},
    "order": 50,
    "alwaysRun": False,
    "idempotent": True,
    "description": "writes an audit record of each finished activity (Python example)",
}

STAGES = ("pre", "parallel", "post")
SEP = "\x1f"  # U+001F, the unit separator: joins workflow, activity and stage in the execution item's sort key

# Made once per instance, at import (Lambda's init phase), so no invocation pays for it.
_dynamodb = boto3.client("dynamodb")


def dynamodb():
    return _dynamodb


def handler(event, context):
    if isinstance(event, dict) and event.get("action") == "initialize":
        return INFO
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        raise ValueError('expected an SNS event with Records or {"action":"initialize"}, got: ' + json.dumps(event)[:200])
    outcomes = []
    for record in records:
        body = record.get("Sns", {}).get("Message")
        if body is None:
            raise ValueError("SNS record without Sns.Message")
        outcomes.append(handle(json.loads(body)))
    return outcomes


def handle(message):
    for field in ("uid", "workflow", "activity", "stage"):
        if not isinstance(message.get(field), str):
            raise ValueError("stage message lacks '%s'" % field)
    if message["stage"] not in STAGES:
        raise ValueError("unknown stage '%s'; expected pre, parallel or post" % message["stage"])
    if message.get("plugin") not in (None, PLUGIN):
        return "not mine"
    plugins = message.get("plugins") or {}
    own = (plugins.get("mandatory") or {}).get(PLUGIN) or (plugins.get("optional") or {}).get(PLUGIN)
    if own and own.get("state") in ("Complete", "Do Not Run"):
        return "already done"
    mandatory = is_mandatory(message["activity"])
    if own is None and not mandatory and late_for_window(message):
        return "too late"  # the engine would not count an optional joiner past the window; spare the work
    execution = Execution(message, mandatory, (own or {}).get("order", INFO["order"]))
    if not execution.claim():
        return "duplicate"
    try:
        work(message)
    except Exception as e:  # the work failed: report Error with the reason, as the protocol asks
        execution.report("Error", str(e) or type(e).__name__)
        return "error"
    execution.report("Complete", None)
    return "complete"


# How far past windowEndsAt our clock must be before we skip a broadcast as late (docs/protocol.md).
LATE_SKEW_TOLERANCE_MS = 60_000


def late_for_window(message):
    """A parallel broadcast (no 'plugin') that reached us more than 60 s after its registration window ended
    (by our clock, which may be skewed: the engine judges by the table's clock), in a stage that lists no
    optional plugin (with 'listsOptional' we may be listed: claim, and the engine decides)."""
    ends = message.get("windowEndsAt")
    return (message.get("plugin") is None and message["stage"] == "parallel" and ends is not None
            and now_ms() > ends + LATE_SKEW_TOLERANCE_MS
            and not message.get("listsOptional"))


def is_mandatory(activity):
    return INFO["overrides"].get(activity, {}).get("mandatory", INFO["default"]["mandatory"])


def work(message):
    metadata = message.get("metadata") or {}
    if "conformanceFail" in metadata:  # the conformance check's error case (docs/protocol.md)
        raise RuntimeError(str(metadata["conformanceFail"]))
    dynamodb().update_item(
        TableName=os.environ["AUDIT_TABLE"],
        Key={"id": {"S": "%s|%s|%s" % (message["uid"], message["workflow"], message["activity"])}},
        UpdateExpression="SET metadata = :m, recordedAt = :t ADD runs :one",
        ExpressionAttributeValues={":m": {"S": json.dumps(metadata, sort_keys=True)},
                                   ":t": {"N": str(now_ms())}, ":one": {"N": "1"}})


def now_ms():
    return int(time.time() * 1000)


class Execution:
    """This plugin's own execution item for one run, activity and stage (docs/protocol.md, protocol v3).

    Only this plugin and the engine write it, each write one conditional UpdateItem and no read.
    """

    def __init__(self, message, mandatory, order):
        self.message = message
        self.mandatory = mandatory
        self.order = order
        self.key = {"uid": s("~%s~%s" % (PLUGIN, message["uid"])),
                    "workflow": s(SEP.join((message["workflow"], message["activity"], message["stage"])))}
        # The run's pluginTimeout wins; else ours, which the claim records so the engine judges staleness by it.
        self.timeout = int(message.get("pluginTimeout") or DEFAULT_TIMEOUT)
        self.record_timeout = not message.get("pluginTimeout")

    def claim(self):
        """Creates the item In Progress, or takes it back when Not Started, stale or due for a re-run."""
        now = now_ms()
        m = self.message
        sets = ["#state = :ip", "#startedAt = :now", "#heartbeatAt = :now",
                "#attempt = if_not_exists(#attempt, :zero) + :one", "#mandatory = :mandatory",
                "#order = if_not_exists(#order, :order)", "#runUid = if_not_exists(#runUid, :uid)",
                "#runWorkflow = if_not_exists(#runWorkflow, :workflow)",
                "#activity = if_not_exists(#activity, :activity)", "#stage = if_not_exists(#stage, :stage)"]
        if self.record_timeout:
            sets.append("#timeout = :timeout")
        return self.update(
            sets, ["#rerunAt"],
            "attribute_not_exists(#state) OR #state = :ns OR (#state = :ip AND attribute_not_exists(#child)"
            " AND (#heartbeatAt < :stale OR #rerunAt <= :now))",
            {":ip": s("In Progress"), ":ns": s("Not Started"), ":now": n(now), ":zero": n(0),
             ":mandatory": {"BOOL": self.mandatory}, ":order": n(self.order), ":uid": s(m["uid"]),
             ":workflow": s(m["workflow"]), ":activity": s(m["activity"]), ":stage": s(m["stage"]),
             ":timeout": n(self.timeout), ":stale": n(now - self.timeout * 1000)})

    def report(self, state, text):
        """The outcome, only over our own running claim; the message is cut to 180 characters."""
        sets = ["#state = :st", "#endedAt = :now"]
        values = {":ip": s("In Progress"), ":st": s(state), ":now": n(now_ms())}
        if text:
            sets.append("#message = :msg")
            values[":msg"] = s(text[:180])
        return self.update(sets, [], "#state = :ip", values)

    def update(self, sets, removes, condition, values):
        # Every write stamps updatedAt and adds 1 to version, as the protocol asks.
        values = dict(values, **{":now": values.get(":now", n(now_ms())), ":one": n(1)})
        expression = "SET " + ", ".join(sets + ["#updatedAt = :now"]) + " ADD #version :one"
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        used = expression + " " + condition
        try:
            dynamodb().update_item(
                TableName=os.environ["STATUS_TABLE"], Key=self.key,
                UpdateExpression=expression, ConditionExpression=condition,
                # Every attribute name goes through a placeholder (state, order, stage... are reserved words);
                # DynamoDB refuses placeholders an expression does not use.
                ExpressionAttributeNames={"#" + a: a for a in re.findall(r"#(\w+)", used)},
                ExpressionAttributeValues={k: v for k, v in values.items() if re.search(k + r"\b", used)})
            return True
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise


def s(value):
    return {"S": value}


def n(value):
    return {"N": str(value)}
