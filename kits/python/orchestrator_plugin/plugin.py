"""The Lambda side of a plugin: initialize, stage messages (SNS), the queue bridge (SNS -> SQS) and its worker."""
import hashlib
import json
import logging
import os
import threading

import boto3

from .execution import Execution, InputUnavailable, backoff_seconds, env_int, now_ms, read_payload
from .results import Complete, FatalError, RetryError, Schedule, StartChild, Wait

STAGES = ("pre", "parallel", "post")
LATE_SKEW_TOLERANCE_MS = 60_000  # rule join-window: our clock may run fast
ATTEMPT_ATTRIBUTE = "attempt"

LOG = logging.getLogger("orchestrator_plugin")


class _Clients:
    """boto3 clients made once per instance, at first use (boto3 honours AWS_ENDPOINT_URL)."""

    def __init__(self):
        self._made = {}
        self._lock = threading.Lock()

    def _get(self, name):
        with self._lock:
            if name not in self._made:
                self._made[name] = boto3.client(name)
            return self._made[name]

    def dynamodb(self):
        return self._get("dynamodb")

    def s3(self):
        return self._get("s3")

    def sqs(self):
        return self._get("sqs")


class Context:
    """What the work sees: the stage message, its attempt, inputs, and a manual heartbeat."""

    def __init__(self, message, attempt, execution, clients):
        self.message = message
        self.attempt = attempt
        self._execution = execution
        self._clients = clients
        self._inputs = None
        self.lost = threading.Event()  # set when a heartbeat found the claim gone: stop working

    uid = property(lambda self: self.message["uid"])
    workflow = property(lambda self: self.message["workflow"])
    activity = property(lambda self: self.message["activity"])
    stage = property(lambda self: self.message["stage"])
    metadata = property(lambda self: self.message.get("metadata") or {})

    def heartbeat(self):
        """True while the claim is ours; False (and `lost` set) once it ended or was taken over."""
        ok = self._execution.heartbeat()
        if not ok:
            self.lost.set()
        return ok

    def inputs(self):
        """The whole inputs document, {activity: {plugin: {"output"|"outputRef": ...}}} (inputsRef fetched)."""
        if self._inputs is None:
            ref = self.message.get("inputsRef")
            if ref is not None:
                doc = read_payload(self._clients, ref, "inputsRef")
                if not isinstance(doc, dict):
                    raise InputUnavailable("inputsRef: its payload object is not a JSON object")
                self._inputs = doc
            else:
                self._inputs = self.message.get("inputs") or {}
        return self._inputs

    def input(self, activity, plugin):
        """The output of `plugin` in `activity` (fetched and checked when it is a reference)."""
        doc = self.inputs()
        wire = (doc.get(activity) or {}).get(plugin)
        if wire is None:
            have = sorted("%s.%s" % (a, p) for a, ps in doc.items() for p in (ps or {}))
            raise InputUnavailable("no input %s.%s in this stage's inputs (it has %s)"
                                   % (activity, plugin, ", ".join(have) if have else "none"))
        if "output" in wire:
            return wire["output"]
        if "outputRef" in wire:
            return read_payload(self._clients, wire["outputRef"], "input %s.%s" % (activity, plugin))
        raise InputUnavailable("input %s.%s has neither output nor outputRef" % (activity, plugin))


class Plugin:
    """A plugin: its initialize answer, its work, and the protocol around it.

    Knobs (environment): STATUS_TABLE (required), PAYLOAD_BUCKET (large outputs), PLUGIN_MAX_ATTEMPTS (4),
    OUTPUT_INLINE_MAX_BYTES (16384), OUTPUT_MAX_BYTES (10485760), PLUGIN_QUEUE_URL (queue bridge),
    PLUGIN_MAX_RECEIVE_COUNT (3).
    """

    def __init__(self, name, *, mandatory=True, timeout=900, register_timeout=30, order=1000, overrides=None,
                 always_run=False, idempotent=True, description=None, fifo_key=None):
        if not isinstance(name, str) or not name or name.startswith("~"):
            raise ValueError("plugin name must be a non-empty string not starting with '~', got %r" % (name,))
        self.name = name
        self._info = {"pluginName": name,
                      "default": {"mandatory": bool(mandatory), "pluginRegisterTimeout": int(register_timeout),
                                  "timeout": int(timeout)},
                      "overrides": dict(overrides or {}), "order": int(order), "alwaysRun": bool(always_run),
                      "idempotent": bool(idempotent)}
        if description:
            self._info["description"] = description
        if fifo_key:
            self._info["fifoKey"] = fifo_key
        self._work = None
        self.clients = _Clients()
        self.handler = self._handle  # the Lambda handler: `handler = plugin.handler`

    # -- declaration ---------------------------------------------------------------------------------------
    def info(self):
        return json.loads(json.dumps(self._info))

    def process(self, fn):
        """Decorator: the work, fn(ctx) -> a Result (None means Complete without output)."""
        self._work = fn
        return fn

    def is_mandatory(self, activity):
        return self._info["overrides"].get(activity, {}).get("mandatory", self._info["default"]["mandatory"])

    def timeout_for(self, activity):
        return int(self._info["overrides"].get(activity, {}).get("timeout", self._info["default"]["timeout"]))

    def execution(self, message, order=None):
        """This plugin's execution item for a stage message (e.g. to report later, from a callback)."""
        _check(message)
        return Execution(self.clients, _table(), self.name, message, self.is_mandatory(message["activity"]),
                         self._info["order"] if order is None else order, self.timeout_for(message["activity"]))

    def report_later(self, message, state, text=None):
        """The outcome of work that returned Wait: Complete or Error (False: the claim is no longer ours)."""
        return self.execution(message).report(state, text)

    # -- Lambda entry ---------------------------------------------------------------------------------------
    def _handle(self, event, context=None):
        if isinstance(event, dict) and event.get("action") == "initialize":
            return self.info()
        records = event.get("Records") if isinstance(event, dict) else None
        if not isinstance(records, list) or not records:
            raise ValueError('expected an SNS or SQS event with Records, or {"action":"initialize"}, got: '
                             + json.dumps(event, default=str)[:200])
        outcomes, failures = [], []
        for record in records:
            if isinstance(record, dict) and "Sns" in record:
                body = record["Sns"].get("Message")
                if body is None:
                    raise ValueError("SNS record without Sns.Message")
                message = _parse(body)
                outcomes.append(self.bridge(message) if _queue_url() else self.handle_message(message))
            elif isinstance(record, dict) and "body" in record:
                if not self.work_queued(record):
                    failures.append({"itemIdentifier": record.get("messageId")})
            else:
                raise ValueError("record is neither SNS nor SQS: " + json.dumps(record, default=str)[:200])
        if failures or any("body" in r for r in records if isinstance(r, dict)):
            return {"batchItemFailures": failures}
        return outcomes

    def handle_message(self, message):
        """One stage message: skip, claim, work (with heartbeats), write the result. Returns what happened."""
        start = self._start(message)
        if isinstance(start, str):
            return start
        execution = start
        result = self._run(message, execution, execution.attempt)
        return self._apply(result, message, execution, execution.attempt)

    # -- the steps ------------------------------------------------------------------------------------------
    def _start(self, message):
        _check(message)
        if message.get("plugin") not in (None, self.name):
            return "not mine"
        plugins = message.get("plugins") or {}
        own = (plugins.get("mandatory") or {}).get(self.name) or (plugins.get("optional") or {}).get(self.name)
        if own and own.get("state") in ("Complete", "Do Not Run") and not self._info["alwaysRun"]:
            return "already done"
        if own is None and not self.is_mandatory(message["activity"]) and _late(message):
            return "too late"
        execution = self.execution(message, (own or {}).get("order"))
        if not execution.claim(self._info["alwaysRun"]):
            return "duplicate"
        if LOG.isEnabledFor(logging.DEBUG):  # a step, not an outcome: the outcome line carries the attempt
            LOG.debug(json.dumps(_keys(message, self.name, event="plugin claimed", attempt=execution.attempt)))
        return execution

    def _run(self, message, execution, attempt):
        if self._work is None:
            raise RuntimeError("plugin %s has no work: decorate a function with @plugin.process" % self.name)
        ctx = Context(message, attempt, execution, self.clients)
        stop = threading.Event()
        # Heartbeat every timeout / 3 while the work runs (not more often than every second).
        interval = max(1.0, execution.timeout / 3.0)

        def beat():
            while not stop.wait(interval):
                try:
                    if not ctx.heartbeat():
                        return
                except Exception as e:  # noqa: BLE001 - a failed heartbeat must not kill the work; log it
                    LOG.warning(json.dumps(_keys(message, self.name, event="heartbeat failed", cause=str(e))))

        beater = threading.Thread(target=beat, name="heartbeat-" + self.name, daemon=True)
        beater.start()
        try:
            result = self._work(ctx)
        except InputUnavailable as e:
            result = FatalError(str(e))
        except Exception as e:  # noqa: BLE001 - the work failed: Error with its text, as the Java library does
            result = FatalError(str(e) or type(e).__name__)
        finally:
            stop.set()
            beater.join()
        return Complete() if result is None else result

    def _apply(self, result, message, execution, attempt):
        keys = lambda **kv: json.dumps(_keys(message, self.name, attempt=attempt, **kv))  # noqa: E731
        if isinstance(result, Complete):
            if result.has_output:
                _, problem = execution.complete(result.output)
                if problem:
                    LOG.warning(keys(event="plugin output refused", cause=problem))
                    return "error"
            else:
                execution.report("Complete")
            LOG.info(keys(event="plugin completed"))
            return "complete"
        if isinstance(result, FatalError):
            execution.report("Error", result.message)
            LOG.warning(keys(event="plugin failed", cause=result.message))
            return "error"
        if isinstance(result, RetryError):
            max_attempts = env_int("PLUGIN_MAX_ATTEMPTS", 4, 1)
            if attempt >= max_attempts:
                execution.report("Error", "gave up after %d attempts: %s" % (attempt, result.message))
                LOG.warning(keys(event="plugin gave up", cause=result.message))
                return "error"
            delay = backoff_seconds(attempt)
            execution.rerun_at(now_ms() + delay * 1000,
                               "attempt %d failed, retrying in %d s: %s" % (attempt, delay, result.message))
            LOG.info(keys(event="plugin will retry", delaySeconds=delay, cause=result.message))
            return "retry"
        if isinstance(result, Schedule):
            delay_ms = int(max(0, result.delay_seconds) * 1000)
            execution.rerun_at(now_ms() + delay_ms,
                               result.message or "scheduled to run again in %d s" % (delay_ms // 1000))
            LOG.info(keys(event="plugin scheduled a re-run", delaySeconds=delay_ms // 1000))
            return "schedule"
        if isinstance(result, StartChild):
            execution.start_child(result.request)
            LOG.info(keys(event="plugin asked for a child workflow"))
            return "child"
        if isinstance(result, Wait):
            LOG.info(keys(event="plugin waits for a later report"))
            return "wait"
        execution.report("Error", "the work returned %r, not a Result" % (result,))
        LOG.warning(keys(event="plugin failed", cause="the work returned a %s, not a Result" % type(result).__name__))
        return "error"

    # -- the queue-bridge pattern (SNS -> bridge claims -> SQS -> worker reports) ----------------------------
    def bridge(self, message):
        """Claim, then forward the stage message to PLUGIN_QUEUE_URL (attempt 1)."""
        start = self._start(message)
        if isinstance(start, str):
            return start
        try:
            self._send(message, 1, 0)
        except Exception as e:
            # Give the claim back: Lambda's retry of this delivery claims and queues again, where a kept claim
            # would refuse it and leave the work unqueued until the plugin timeout.
            released = start.release("could not queue the work: %s" % type(e).__name__)
            LOG.warning(json.dumps(_keys(message, self.name, event="work could not be queued; the claim is given back and "
                                         "the stage message will be retried", cause=str(e), claimReleased=bool(released),
                                         action="check that PLUGIN_QUEUE_URL names an existing queue this function may send to")))
            raise
        LOG.info(json.dumps(_keys(message, self.name, event="plugin claimed; work queued", attempt=start.attempt)))
        return "queued"

    def _send(self, message, attempt, delay_seconds):
        url = _queue_url()
        request = {"QueueUrl": url, "MessageBody": json.dumps(message),
                   "MessageAttributes": {ATTEMPT_ATTRIBUTE: {"DataType": "Number", "StringValue": str(attempt)}}}
        if url.endswith(".fifo"):
            if delay_seconds > 0:
                raise RuntimeError("Schedule and RetryError need a standard queue: FIFO queues cannot delay one message")
            group = (message.get("metadata") or {}).get(self._info.get("fifoKey") or "") or message["uid"]
            request["MessageGroupId"] = str(group)
            request["MessageDeduplicationId"] = dedup_id(message, self.name) + "-" + str(attempt)
        elif delay_seconds > 0:
            request["DelaySeconds"] = int(min(900, delay_seconds))
        self.clients.sqs().send_message(**request)

    def work_queued(self, record):
        """The worker: one SQS record. False asks for it to be received again."""
        message = _parse(record["body"])
        _check(message)
        attempt = int(((record.get("messageAttributes") or {}).get(ATTEMPT_ATTRIBUTE) or {}).get("stringValue") or 1)
        receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
        execution = self.execution(message)
        if not self._info["alwaysRun"] and execution.state() in ("Complete", "Error", "Do Not Run"):
            return True  # a stale redelivery: nothing left to do
        ctx = Context(message, attempt, execution, self.clients)
        try:
            result = self._work(ctx)
        except InputUnavailable as e:
            execution.report("Error", str(e))
            return True
        except Exception as e:  # noqa: BLE001 - received again; after PLUGIN_MAX_RECEIVE_COUNT, Error
            why = str(e) or type(e).__name__
            if receives >= env_int("PLUGIN_MAX_RECEIVE_COUNT", 3, 1):
                execution.report("Error", "failed %d times, sent to the dead-letter queue: %s" % (receives, why))
            return False
        result = Complete() if result is None else result
        if isinstance(result, Schedule):
            execution.heartbeat()
            self._send(message, attempt, int(min(900, max(0, result.delay_seconds))))
        elif isinstance(result, RetryError):
            if attempt >= env_int("PLUGIN_MAX_ATTEMPTS", 4, 1):
                execution.report("Error", "gave up after %d attempts: %s" % (attempt, result.message))
            else:
                execution.heartbeat()
                self._send(message, attempt + 1, backoff_seconds(attempt))
        elif isinstance(result, Wait):
            execution.heartbeat()
        else:
            self._apply(result, message, execution, attempt)
        return True


def dedup_id(message, plugin):
    """Stable per run, activity, stage and plugin (the Java QueueBridgeRules.deduplicationId)."""
    text = "|".join((message["uid"], message["workflow"], message["activity"], message["stage"], plugin))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse(body):
    try:
        message = json.loads(body)
    except ValueError as e:
        raise ValueError("stage message is not JSON: %s" % e)
    if not isinstance(message, dict):
        raise ValueError("stage message must be a JSON object")
    return message


def _check(message):
    for field in ("uid", "workflow", "activity", "stage"):
        if not isinstance(message.get(field), str) or not message.get(field):
            raise ValueError("stage message lacks '%s'" % field)
    if message["stage"] not in STAGES:
        raise ValueError("unknown stage '%s'; expected pre, parallel or post" % message["stage"])


def _late(message):
    ends = message.get("windowEndsAt")
    return (message.get("plugin") is None and message["stage"] == "parallel" and ends is not None
            and now_ms() > ends + LATE_SKEW_TOLERANCE_MS and not message.get("listsOptional"))


def _table():
    table = os.environ.get("STATUS_TABLE")
    if not table:
        raise RuntimeError("STATUS_TABLE is not set: import <Stack>-status-name into the function's environment")
    return table


def _queue_url():
    return os.environ.get("PLUGIN_QUEUE_URL") or None


def _keys(message, plugin, **kv):
    """A structured log line with the run's correlation keys."""
    return dict({"uid": message.get("uid"), "workflow": message.get("workflow"), "activity": message.get("activity"),
                 "stage": message.get("stage"), "plugin": plugin}, **kv)
