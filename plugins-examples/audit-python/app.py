"""audit-python: a post-stage plugin on the Python kit (kits/python, package orchestrator_plugin).

It writes one audit record per run and activity into its own table. The kit does the protocol of
docs/protocol.md: the initialize answer, the claim (a duplicate SNS delivery finds it taken and does no
work), heartbeats while the work runs, and the report.
"""
import json
import os
import time

import boto3

from orchestrator_plugin import Plugin, Result

plugin = Plugin(
    "audit-python",
    mandatory=True,
    timeout=60,  # seconds without a heartbeat after which the engine may hand the work to another delivery
    register_timeout=30,
    order=50,
    description="writes an audit record of each finished activity (Python example)",
)

# Made once per instance, at import (Lambda's init phase), so no invocation pays for it.
_dynamodb = boto3.client("dynamodb")


@plugin.process
def work(ctx):
    metadata = ctx.metadata
    if "conformanceFail" in metadata:  # the conformance check's error case (docs/protocol.md)
        return Result.fatal(str(metadata["conformanceFail"]))
    if "conformanceSchedule" in metadata:  # the conformance check's Schedule case
        return Result.schedule(float(metadata["conformanceSchedule"]), "conformance: scheduled")
    if "conformanceRetry" in metadata:  # the conformance check's RetryError case
        return Result.retry(str(metadata["conformanceRetry"]))
    time.sleep(float(metadata.get("conformanceWorkSeconds", 0)))  # the conformance check's long work (heartbeats)
    _dynamodb.update_item(
        TableName=os.environ["AUDIT_TABLE"],
        Key={"id": {"S": "%s|%s|%s" % (ctx.uid, ctx.workflow, ctx.activity)}},
        UpdateExpression="SET metadata = :m, recordedAt = :t ADD runs :one",
        ExpressionAttributeValues={":m": {"S": json.dumps(metadata, sort_keys=True)},
                                   ":t": {"N": str(int(time.time() * 1000))}, ":one": {"N": "1"}})
    return Result.complete()


handler = plugin.handler
INFO = plugin.info()
