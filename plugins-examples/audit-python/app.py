"""audit-python: a post-stage plugin written from docs/protocol.md alone (boto3, no orchestrator library).

It writes one audit record per run and activity into its own table. The status writes are the
protocol's conditional UpdateItems, so a duplicate SNS delivery finds the claim taken and does
no work.
"""
import json
import os
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

STAGE_KEYS = {"pre": "pre", "parallel": "async", "post": "post"}
OPEN = ("In Progress", "Mandatory Completed")

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
    if message["stage"] not in STAGE_KEYS:
        raise ValueError("unknown stage '%s'; expected pre, parallel or post" % message["stage"])
    if message.get("plugin") not in (None, PLUGIN):
        return "not mine"
    plugins = message.get("plugins") or {}
    listed = None
    for group in ("mandatory", "optional"):
        if PLUGIN in (plugins.get(group) or {}):
            listed = group
    if listed and plugins[listed][PLUGIN].get("state") in ("Complete", "Do Not Run"):
        return "already done"
    group = listed or ("mandatory" if is_mandatory(message["activity"]) else "optional")
    entry = Entry(message, group)
    if not entry.claim(listed is not None):
        return "duplicate"
    try:
        work(message)
    except Exception as e:  # the work failed: report Error with the reason, as the protocol asks
        entry.report("Error", str(e) or type(e).__name__)
        return "error"
    entry.report("Complete", None)
    return "complete"


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


class Entry:
    """This plugin's entry in the run's status item, written only with the protocol's conditional updates."""

    def __init__(self, message, group):
        self.message = message
        stage = STAGE_KEYS[message["stage"]]
        self.names = {"#a": "activities", "#act": message["activity"], "#stg": stage, "#grp": group,
                      "#p": PLUGIN, "#status": "status", "#state": "state", "#v": "version", "#u": "updatedAt"}
        self.entry = "#a.#act.#stg.#grp.#p"
        self.stage_open = "#a.#act.#stg.#status IN (:ip, :mc)"
        # The run's pluginTimeout wins; else ours, which the claim records so the engine judges staleness by it.
        self.timeout = int(message.get("pluginTimeout") or DEFAULT_TIMEOUT)
        self.record_timeout = not message.get("pluginTimeout")

    def claim(self, listed):
        now = now_ms()
        values = {":ip": s("In Progress"), ":mc": s("Mandatory Completed"), ":now": n(now), ":one": n(1)}
        if listed:
            names = dict(self.names, **{"#hb": "heartbeatAt", "#rr": "rerunAt", "#sa": "startedAt", "#att": "attempt",
                                        "#to": "timeout"})
            values.update({":ns": s("Not Started"), ":stale": n(now - self.timeout * 1000), ":zero": n(0),
                           ":to": n(self.timeout)})
            timeout = ", {e}.#to = :to" if self.record_timeout else ""
            ok = self.update(
                "SET {e}.#state = :ip, {e}.#sa = :now, {e}.#hb = :now, {e}.#att = if_not_exists({e}.#att, :zero) + :one"
                + timeout + ", #u = :now REMOVE {e}.#rr ADD #v :one",
                "{open} AND ({e}.#state = :ns OR ({e}.#state = :ip AND ({e}.#hb < :stale OR {e}.#rr <= :now)))",
                names, values)
            return ok
        # Not listed: join the parallel stage while its registration window is open.
        names = dict(self.names, **{"#we": "windowEndsAt"})
        values[":entry"] = {"M": {"state": s("In Progress"), "order": n(INFO["order"]), "startedAt": n(now),
                                  "heartbeatAt": n(now), "attempt": n(1), "timeout": n(self.timeout)}}
        ok = self.update("SET {e} = :entry, #u = :now ADD #v :one",
                         "{open} AND attribute_not_exists({e}) AND #a.#act.#stg.#we > :now", names, values)
        # The engine may have listed us after this message left: then claim the listed entry.
        return ok or self.claim(True)

    def report(self, state, text):
        now = now_ms()
        names = dict(self.names, **{"#ea": "endedAt", "#msg": "message"})
        values = {":ip": s("In Progress"), ":mc": s("Mandatory Completed"), ":st": s(state), ":now": n(now), ":one": n(1)}
        sets = "{e}.#state = :st, {e}.#ea = :now, #u = :now"
        if text:
            values[":msg"] = s(text[:180])
            sets += ", {e}.#msg = :msg"
        return self.update("SET " + sets + " ADD #v :one", "{open} AND {e}.#state = :ip", names, values)

    def update(self, expression, condition, names, values):
        expression = expression.format(e=self.entry)
        condition = condition.format(e=self.entry, open=self.stage_open)
        used = expression + " " + condition
        try:
            dynamodb().update_item(
                TableName=os.environ["STATUS_TABLE"],
                Key={"uid": s(self.message["uid"]), "workflow": s(self.message["workflow"])},
                UpdateExpression=expression,
                ConditionExpression=condition + " AND attribute_exists(uid)",
                # DynamoDB refuses placeholders an expression does not use.
                ExpressionAttributeNames={k: v for k, v in names.items() if k in used},
                ExpressionAttributeValues={k: v for k, v in values.items() if k in used})
            return True
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise


def s(value):
    return {"S": value}


def n(value):
    return {"N": str(value)}
