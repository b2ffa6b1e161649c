"""The kit against a real DynamoDB/S3/SQS API (moto_server on loopback): what a plugin's item shows after each result."""
import hashlib
import json
import time

import boto3
import pytest

from orchestrator_plugin import Plugin, Result

SEP = "\x1f"


def message(**kw):
    m = {"uid": "run-1", "workflow": "onboard", "activity": "Setup", "stage": "parallel", "metadata": {"tier": "gold"},
         "plugins": {"mandatory": {}, "optional": {}}}
    m.update(kw)
    return m


def sns(m):
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(m)}}]}


def item(aws, plugin="kit", m=None):
    m = m or message()
    got = aws["ddb"].get_item(TableName=aws["table"], ConsistentRead=True,
                              Key={"uid": {"S": "~%s~%s" % (plugin, m["uid"])},
                                   "workflow": {"S": SEP.join((m["workflow"], m["activity"], m["stage"]))}})
    return got.get("Item")


def plugin_returning(result, **kw):
    p = Plugin("kit", timeout=kw.pop("timeout", 60), **kw)
    p.process(lambda ctx: result(ctx) if callable(result) else result)
    return p


def test_initialize_answers_without_aws():
    p = Plugin("kit", mandatory=False, timeout=120, order=7, overrides={"Setup": {"mandatory": True}}, description="d")
    assert p.handler({"action": "initialize"}, None) == {
        "pluginName": "kit", "default": {"mandatory": False, "pluginRegisterTimeout": 30, "timeout": 120},
        "overrides": {"Setup": {"mandatory": True}}, "order": 7, "alwaysRun": False, "idempotent": True, "description": "d"}


def test_join_claims_and_completes_with_every_field(aws):
    p = plugin_returning(None)
    assert p.handler(sns(message()), None) == ["complete"]
    it = item(aws)
    assert it["state"] == {"S": "Complete"}
    assert it["attempt"] == {"N": "1"} and it["mandatory"] == {"BOOL": True} and it["timeout"] == {"N": "60"}
    for f in ("startedAt", "heartbeatAt", "endedAt", "updatedAt"):
        assert f in it, f
    assert (it["runUid"], it["runWorkflow"], it["activity"], it["stage"]) == (
        {"S": "run-1"}, {"S": "onboard"}, {"S": "Setup"}, {"S": "parallel"})
    assert it["version"] == {"N": "2"}  # claim + report


def test_duplicate_delivery_writes_nothing_more(aws):
    p = plugin_returning(None)
    p.handler(sns(message()), None)
    before = item(aws)
    assert p.handler(sns(message()), None) == ["duplicate"]
    assert item(aws) == before


def test_message_for_another_plugin_and_done_entries_write_nothing(aws):
    p = plugin_returning(None)
    assert p.handler(sns(message(stage="post", plugin="other")), None) == ["not mine"]
    done = message(stage="post", plugin="kit", plugins={"mandatory": {"kit": {"state": "Complete", "order": 1, "attempt": 1}}})
    assert p.handler(sns(done), None) == ["already done"]
    assert item(aws, m=message(stage="post")) is None


def test_optional_late_joiner_skips(aws):
    p = plugin_returning(None, mandatory=False)
    late = message(windowEndsAt=int(time.time() * 1000) - 120_000)
    assert p.handler(sns(late), None) == ["too late"]
    assert item(aws) is None


def test_malformed_input_fails_naming_what_is_wrong(aws):
    p = plugin_returning(None)
    with pytest.raises(ValueError, match="lacks 'uid'"):
        p.handler(sns({"workflow": "w", "activity": "A", "stage": "pre"}), None)
    with pytest.raises(ValueError, match="expected an SNS or SQS event"):
        p.handler({"hello": 1}, None)


def test_inline_output(aws):
    p = plugin_returning(Result.complete({"hostname": "acme.example.com"}))
    p.handler(sns(message()), None)
    it = item(aws)
    assert it["state"] == {"S": "Complete"}
    assert json.loads(it["output"]["S"]) == {"hostname": "acme.example.com"}


def test_output_over_the_inline_threshold_goes_to_the_payload_bucket(aws, monkeypatch):
    monkeypatch.setenv("OUTPUT_INLINE_MAX_BYTES", "10")  # non-default: 16384
    p = plugin_returning(Result.complete({"blob": "x" * 100}))
    p.handler(sns(message()), None)
    it = item(aws)
    assert "output" not in it
    ref = it["outputRef"]["M"]
    assert ref["key"] == {"S": "runs/run-1/~kit~/onboard/Setup/parallel.json"}
    body = boto3.client("s3").get_object(Bucket=ref["bucket"]["S"], Key=ref["key"]["S"])["Body"].read()
    assert json.loads(body) == {"blob": "x" * 100}
    assert ref["sha256"]["S"] == hashlib.sha256(body).hexdigest() and ref["size"]["N"] == str(len(body))


def test_output_that_is_not_an_object_or_too_large_ends_error(aws, monkeypatch):
    plugin_returning(Result.complete([1, 2])).handler(sns(message()), None)
    assert item(aws)["message"] == {"S": "output must be a JSON object, got array"}
    monkeypatch.setenv("OUTPUT_MAX_BYTES", "5")
    m = message(uid="run-2")
    plugin_returning(Result.complete({"a": 1})).handler(sns(m), None)
    assert item(aws, m=m)["message"]["S"] == "output is 7 bytes of JSON, over the hard limit of 5 (OUTPUT_MAX_BYTES)"


def test_fatal_and_exceptions_end_error_with_the_text(aws):
    plugin_returning(Result.fatal("no such tenant")).handler(sns(message()), None)
    assert (item(aws)["state"], item(aws)["message"]) == ({"S": "Error"}, {"S": "no such tenant"})

    def boom(ctx):
        raise RuntimeError("x" * 300)
    m = message(uid="run-2")
    plugin_returning(boom).handler(sns(m), None)
    assert item(aws, m=m)["message"] == {"S": "x" * 180}


def test_retry_sets_rerun_at_then_gives_up(aws, monkeypatch):
    p = plugin_returning(Result.retry("dns not ready"))
    assert p.handler(sns(message()), None) == ["retry"]
    it = item(aws)
    assert it["state"] == {"S": "In Progress"}
    assert it["message"] == {"S": "attempt 1 failed, retrying in 2 s: dns not ready"}
    assert int(it["rerunAt"]["N"]) > int(it["heartbeatAt"]["N"])
    monkeypatch.setenv("PLUGIN_MAX_ATTEMPTS", "1")  # non-default: 4
    m = message(uid="run-2")
    assert p.handler(sns(m), None) == ["error"]
    assert item(aws, m=m)["message"] == {"S": "gave up after 1 attempts: dns not ready"}


def test_rerun_due_is_claimed_again(aws):
    p = plugin_returning(Result.schedule(0, "polling"))
    assert p.handler(sns(message()), None) == ["schedule"]
    assert item(aws)["message"] == {"S": "polling"}
    p.process(lambda ctx: Result.complete({"attempt": ctx.attempt}))
    assert p.handler(sns(message(plugin="kit")), None) == ["complete"]
    it = item(aws)
    assert it["attempt"] == {"N": "2"} and "rerunAt" not in it and json.loads(it["output"]["S"]) == {"attempt": 2}


def test_wait_then_report_later(aws):
    p = plugin_returning(Result.wait_for_report())
    assert p.handler(sns(message()), None) == ["wait"]
    assert item(aws)["state"] == {"S": "In Progress"}
    assert p.report_later(message(), "Complete", "callback arrived") is True
    assert item(aws)["state"] == {"S": "Complete"}
    assert p.report_later(message(), "Complete") is False  # no longer ours


def test_release_gives_the_claim_back(aws):
    p = plugin_returning(None)
    ex = p.execution(message())
    assert ex.claim() and ex.release("disk full")
    it = item(aws)
    assert (it["state"], it["message"]) == ({"S": "Not Started"}, {"S": "released: disk full"})
    assert p.handler(sns(message()), None) == ["complete"]


def test_child_request(aws):
    p = plugin_returning(Result.start_child("db-setup", ["CreateDb", "Migrate"], pluginTimeout=60))
    assert p.handler(sns(message()), None) == ["child"]
    it = item(aws)
    assert json.loads(it["child"]["M"]["request"]["S"]) == {"workflow": "db-setup", "activities": ["CreateDb", "Migrate"], "pluginTimeout": 60}
    assert it["message"] == {"S": "waiting for child workflow db-setup"}
    with pytest.raises(ValueError, match="unknown field"):
        Result.start_child("x", ["A"], uid="no")


def test_heartbeats_while_the_work_runs(aws):
    def slow(ctx):
        time.sleep(2.5)  # the work itself: longer than a third of the 3 s timeout
    p = plugin_returning(slow)
    p.handler(sns(message(pluginTimeout=3)), None)
    it = item(aws)
    assert it["state"] == {"S": "Complete"} and "timeout" not in it  # the run's pluginTimeout wins
    assert int(it["heartbeatAt"]["N"]) > int(it["startedAt"]["N"])
    assert int(it["version"]["N"]) >= 4  # claim, two heartbeats, report


def test_inputs_inline_reference_and_missing(aws):
    data = json.dumps({"big": True}).encode()
    boto3.client("s3").put_object(Bucket=aws["bucket"], Key="runs/run-1/~b~/x.json", Body=data)
    ref = {"bucket": aws["bucket"], "key": "runs/run-1/~b~/x.json", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    inputs = {"Provision": {"dns": {"output": {"host": "h"}}, "b": {"outputRef": ref},
                            "bad": {"outputRef": dict(ref, size=1)}}}
    seen = {}

    def work(ctx):
        seen["dns"] = ctx.input("Provision", "dns")
        seen["b"] = ctx.input("Provision", "b")
        ctx.input("Provision", "bad")
    plugin_returning(work).handler(sns(message(inputs=inputs)), None)
    assert seen == {"dns": {"host": "h"}, "b": {"big": True}}
    assert "does not match its reference" in item(aws)["message"]["S"]
    m = message(uid="run-2", inputs=inputs)
    plugin_returning(lambda ctx: ctx.input("Provision", "nope")).handler(sns(m), None)
    assert item(aws, m=m)["message"]["S"].startswith("no input Provision.nope in this stage's inputs (it has Provision.b")


def test_a_reference_with_a_link_is_read_through_the_link(aws):
    # The engine's stage messages carry presigned links; the plugin reads with no S3 call of its own.
    data = json.dumps({"linked": 1}).encode()
    s3 = boto3.client("s3")
    s3.put_object(Bucket=aws["bucket"], Key="runs/run-3/~b~/y.json", Body=data)
    ref = {"bucket": aws["bucket"], "key": "runs/run-3/~b~/y.json", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
           "url": s3.generate_presigned_url("get_object", Params={"Bucket": aws["bucket"], "Key": "runs/run-3/~b~/y.json"},
                                            ExpiresIn=900)}
    seen = {}

    def work(ctx):
        seen["b"] = ctx.input("Provision", "b")
    m = message(uid="run-3", inputs={"Provision": {"b": {"outputRef": ref}}})
    plugin_returning(work).handler(sns(m), None)
    assert seen == {"b": {"linked": 1}}
    s3.delete_object(Bucket=aws["bucket"], Key="runs/run-3/~b~/y.json")
    m = message(uid="run-4", inputs={"Provision": {"b": {"outputRef": ref}}})
    plugin_returning(work).handler(sns(m), None)
    assert "is gone" in item(aws, m=m)["message"]["S"] and "HTTP 404" in item(aws, m=m)["message"]["S"]


def received(aws, visibility_timeout=None):
    """The next message of the work queue as Lambda's SQS event source hands it to the worker."""
    request = {"QueueUrl": aws["queue"], "MessageAttributeNames": ["All"], "AttributeNames": ["All"], "WaitTimeSeconds": 5}
    if visibility_timeout is not None:
        request["VisibilityTimeout"] = visibility_timeout
    got = boto3.client("sqs").receive_message(**request)["Messages"]
    return {"messageId": got[0]["MessageId"], "body": got[0]["Body"],
            "messageAttributes": {k: {"stringValue": v["StringValue"], "dataType": v["DataType"]}
                                  for k, v in got[0]["MessageAttributes"].items()},
            "attributes": got[0]["Attributes"]}


def test_queue_bridge_claims_forwards_and_the_worker_reports(aws, monkeypatch):
    monkeypatch.setenv("PLUGIN_QUEUE_URL", aws["queue"])
    p = plugin_returning(Result.complete({"via": "queue"}))
    assert p.handler(sns(message()), None) == ["queued"]
    assert item(aws)["state"] == {"S": "In Progress"}
    record = received(aws)
    assert p.handler({"Records": [record]}, None) == {"batchItemFailures": []}
    assert json.loads(item(aws)["output"]["S"]) == {"via": "queue"}
    # a stale redelivery finds the item finished and does nothing
    assert p.handler({"Records": [record]}, None) == {"batchItemFailures": []}


def test_a_bridge_that_cannot_queue_gives_its_claim_back_and_the_retry_queues(aws, monkeypatch):
    monkeypatch.setenv("PLUGIN_QUEUE_URL", aws["queue"] + "-missing")  # no queue behind it
    p = plugin_returning(Result.complete({"via": "queue"}))
    with pytest.raises(Exception):
        p.handler(sns(message()), None)  # the invocation fails: Lambda retries the delivery
    it = item(aws)
    assert it["state"] == {"S": "Not Started"}
    assert it["message"]["S"].startswith("released: could not queue the work: ")
    monkeypatch.setenv("PLUGIN_QUEUE_URL", aws["queue"])  # the queue is there when the retry comes
    assert p.handler(sns(message()), None) == ["queued"]
    it = item(aws)
    assert it["state"] == {"S": "In Progress"}
    assert it["attempt"] == {"N": "2"}
    assert json.loads(received(aws)["body"])["uid"] == "run-1"


def test_a_failing_queued_message_is_error_on_receive_plugin_max_receive_count(aws, monkeypatch):
    monkeypatch.setenv("PLUGIN_QUEUE_URL", aws["queue"])
    monkeypatch.setenv("PLUGIN_MAX_RECEIVE_COUNT", "2")  # non-default: 3

    def boom(ctx):
        raise RuntimeError("zone file unreadable")
    p = plugin_returning(boom)
    assert p.handler(sns(message()), None) == ["queued"]
    first = received(aws, visibility_timeout=0)  # visible again at once: the next receive is the second
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert p.handler({"Records": [first]}, None) == {"batchItemFailures": [{"itemIdentifier": first["messageId"]}]}
    assert item(aws)["state"] == {"S": "In Progress"}  # received again: not the last receive yet
    second = received(aws)
    assert second["attributes"]["ApproximateReceiveCount"] == "2"
    assert p.handler({"Records": [second]}, None) == {"batchItemFailures": [{"itemIdentifier": second["messageId"]}]}
    it = item(aws)
    assert it["state"] == {"S": "Error"}
    assert it["message"] == {"S": "failed 2 times, sent to the dead-letter queue: zone file unreadable"}


def test_one_info_line_per_execution_the_outcome_with_its_attempt(aws, caplog):
    caplog.set_level("INFO", logger="orchestrator_plugin")
    p = plugin_returning(Result.retry("dns not ready"))
    p.handler(sns(message()), None)
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    assert [(l["event"], l["attempt"], l["uid"], l["plugin"]) for l in lines] == [
        ("plugin will retry", 1, "run-1", "kit")]
    caplog.clear()
    caplog.set_level("DEBUG", logger="orchestrator_plugin")  # the claim is a DEBUG line
    p.handler(sns(message(stage="post")), None)
    assert [json.loads(r.getMessage())["event"] for r in caplog.records] == ["plugin claimed", "plugin will retry"]
