"""A plugin's own execution item for one run, activity and stage: the writes of docs/protocol.md, section 7.

Every write is one conditional UpdateItem without a read first; a failed condition is an answer (False).
"""
import hashlib
import json
import os
import re
import time

from botocore.exceptions import ClientError

SEP = "\x1f"  # U+001F joins workflow, activity and stage in the item's sort key
MESSAGE_MAX = 180
DEFAULT_INLINE_MAX = 16384
DEFAULT_OUTPUT_MAX = 10 * 1024 * 1024


def now_ms():
    return int(time.time() * 1000)


def backoff_seconds(attempt):
    """Delay before retry attempt + 1: 2^attempt seconds, at most 900 (the Java QueueBridgeRules)."""
    return min(900, 1 << min(attempt, 10))


def env_int(name, default, minimum):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("%s must be a whole number, got %r" % (name, raw))
    if value < minimum:
        raise ValueError("%s must be %d or more, got %d" % (name, minimum, value))
    return value


class InputUnavailable(Exception):
    """An input the stage does not have, or whose payload object is gone or altered."""


def _s(v):
    return {"S": str(v)}


def _n(v):
    return {"N": str(v)}


def _json_bytes(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Execution:
    """The item keyed ~<plugin>~<uid> / <workflow>␟<activity>␟<stage>."""

    def __init__(self, clients, table, plugin, message, mandatory, order, timeout):
        self.clients = clients
        self.table = table
        self.plugin = plugin
        self.message = message
        self.mandatory = bool(mandatory)
        self.order = int(order)
        self.key = {"uid": _s("~%s~%s" % (plugin, message["uid"])),
                    "workflow": _s(SEP.join((message["workflow"], message["activity"], message["stage"])))}
        # The run's pluginTimeout wins; else ours, which the claim records so the engine judges heartbeats by it.
        self.timeout = int(message.get("pluginTimeout") or timeout)
        self.record_timeout = not message.get("pluginTimeout")
        self.attempt = None

    def claim(self, always_run=False):
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
        condition = None if always_run else (
            "attribute_not_exists(#state) OR #state = :ns OR (#state = :ip AND attribute_not_exists(#child)"
            " AND (#heartbeatAt < :stale OR #rerunAt <= :now))")
        attributes = self._update(
            sets, ["#rerunAt"], condition,
            {":ip": _s("In Progress"), ":ns": _s("Not Started"), ":now": _n(now), ":zero": _n(0),
             ":mandatory": {"BOOL": self.mandatory}, ":order": _n(self.order), ":uid": _s(m["uid"]),
             ":workflow": _s(m["workflow"]), ":activity": _s(m["activity"]), ":stage": _s(m["stage"]),
             ":timeout": _n(self.timeout), ":stale": _n(now - self.timeout * 1000)}, returns=True)
        if attributes is None:
            return False
        self.attempt = int(attributes.get("attempt", {}).get("N", "1"))
        return True

    def heartbeat(self):
        return self._update(["#heartbeatAt = :now"], [], "#state = :ip", {":ip": _s("In Progress")})

    def report(self, state, text=None):
        """Complete or Error, over our own running claim; the message is cut to 180 characters."""
        if state not in ("Complete", "Error"):
            raise ValueError("report: state must be Complete or Error, got %r" % (state,))
        sets = ["#state = :st", "#endedAt = :now"]
        values = {":ip": _s("In Progress"), ":st": _s(state)}
        if text:
            sets.append("#message = :msg")
            values[":msg"] = _s(str(text)[:MESSAGE_MAX])
        return self._update(sets, [], "#state = :ip", values)

    def complete(self, output):
        """Complete with an output: inline up to OUTPUT_INLINE_MAX_BYTES, else in the payload bucket.

        An output that is not a JSON object, is over OUTPUT_MAX_BYTES or cannot be stored ends Error naming it.
        Returns (written, problem)."""
        if not isinstance(output, dict):
            problem = "output must be a JSON object, got %s" % _json_type(output)
            return self.report("Error", problem), problem
        try:
            data = _json_bytes(output)
        except (TypeError, ValueError) as e:
            problem = "output is not JSON: %s" % e
            return self.report("Error", problem), problem
        inline_max = env_int("OUTPUT_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX, 0)
        hard_max = env_int("OUTPUT_MAX_BYTES", DEFAULT_OUTPUT_MAX, 1)
        if len(data) > hard_max:
            problem = "output is %d bytes of JSON, over the hard limit of %d (OUTPUT_MAX_BYTES)" % (len(data), hard_max)
            return self.report("Error", problem), problem
        values = {":ip": _s("In Progress"), ":c": _s("Complete")}
        if len(data) <= inline_max:
            values[":out"] = _s(data.decode("utf-8"))
            target = "#output = :out"
        else:
            try:
                ref = self._put_payload(data)
            except Exception as e:  # noqa: BLE001 - any failure to store ends Error with its text
                problem = "output could not be stored in the payload bucket: %s" % e
                return self.report("Error", problem), problem
            values[":ref"] = {"M": {"bucket": _s(ref["bucket"]), "key": _s(ref["key"]),
                                    "sha256": _s(ref["sha256"]), "size": _n(ref["size"])}}
            target = "#outputRef = :ref"
        return self._update(["#state = :c", "#endedAt = :now", target], [], "#state = :ip", values), None

    def _put_payload(self, data):
        bucket = os.environ.get("PAYLOAD_BUCKET")
        if not bucket:
            raise RuntimeError("this output needs the payload bucket, but PAYLOAD_BUCKET is not set "
                               "(import <Stack>-payload-bucket into the function's environment)")
        m = self.message
        key = "runs/%s/~%s~/%s/%s/%s.json" % (m["uid"], self.plugin, m["workflow"], m["activity"], m["stage"])
        self.clients.s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json",
                                     ServerSideEncryption="AES256")
        return {"bucket": bucket, "key": key, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def rerun_at(self, at_ms, text):
        """Schedule / RetryError: stays In Progress; the engine re-publishes to us at rerunAt."""
        return self._update(["#rerunAt = :at", "#heartbeatAt = :now", "#message = :msg"], [], "#state = :ip",
                            {":ip": _s("In Progress"), ":at": _n(int(at_ms)), ":msg": _s(str(text)[:MESSAGE_MAX])})

    def release(self, why=None):
        """Give the claim back without a result (Not Started), so a retry of the delivery can claim again."""
        sets = ["#state = :ns"]
        values = {":ip": _s("In Progress"), ":ns": _s("Not Started")}
        if why:
            sets.append("#message = :msg")
            values[":msg"] = _s(("released: %s" % why)[:MESSAGE_MAX])
        return self._update(sets, [], "#state = :ip", values)

    def start_child(self, request):
        """Ask the engine once, over our claim, to start a child workflow (docs/protocol.md, section 9)."""
        return self._update(["#child = :req", "#heartbeatAt = :now", "#message = :msg"], [],
                            "#state = :ip AND attribute_not_exists(#child)",
                            {":ip": _s("In Progress"), ":req": {"M": {"request": _s(json.dumps(request, separators=(",", ":")))}},
                             ":msg": _s(("waiting for child workflow %s" % request.get("workflow"))[:MESSAGE_MAX])})

    def state(self):
        """This item's state, or None: the one read the published plugin policy allows (GetItem)."""
        item = self.clients.dynamodb().get_item(TableName=self.table, Key=self.key, ConsistentRead=True).get("Item")
        return item["state"]["S"] if item and "state" in item else None

    def _update(self, sets, removes, condition, values, returns=False):
        # Every write stamps updatedAt and adds 1 to version.
        values = dict(values)
        values.setdefault(":now", _n(now_ms()))
        values[":one"] = _n(1)
        expression = "SET " + ", ".join(sets + ["#updatedAt = :now"]) + " ADD #version :one"
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        used = expression + " " + (condition or "")
        request = {"TableName": self.table, "Key": self.key, "UpdateExpression": expression,
                   # Names always via placeholders (state, order, stage... are reserved); only the ones used.
                   "ExpressionAttributeNames": {"#" + a: a for a in re.findall(r"#(\w+)", used)},
                   "ExpressionAttributeValues": {k: v for k, v in values.items() if re.search(re.escape(k) + r"\b", used)}}
        if condition:
            request["ConditionExpression"] = condition
        if returns:
            request["ReturnValues"] = "UPDATED_NEW"
        try:
            reply = self.clients.dynamodb().update_item(**request)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None if returns else False
            raise
        return reply.get("Attributes", {}) if returns else True


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _fetch_link(url, bucket, key, what):
    """A plugin's read: the presigned link the engine put in the message (the plugin's role has no read on the bucket)."""
    import urllib.error
    import urllib.request
    if not url.startswith(("http://", "https://")):
        raise InputUnavailable("%s.outputRef.url is not an http(s) URL" % what)
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        if e.code in (403, 404):
            raise InputUnavailable("%s: its payload object s3://%s/%s is gone (expired with the run's retention, or deleted) "
                                   "or its link expired (HTTP %d; links live PAYLOAD_URL_SECONDS)" % (what, bucket, key, e.code))
        raise


def read_payload(clients, ref, what):
    """A referenced document from the payload bucket, checked against its SHA-256 and size."""
    try:
        bucket, key, sha, size = ref["bucket"], ref["key"], ref["sha256"], int(ref["size"])
    except (KeyError, TypeError, ValueError):
        raise InputUnavailable("%s: its reference is not {bucket, key, sha256, size}: %s" % (what, json.dumps(ref)[:120]))
    url = ref.get("url")
    if url is not None:
        data = _fetch_link(url, bucket, key, what)
    else:
        data = None
    try:
        if data is None:  # an operator's or a test's reference without a link: the caller's own credentials
            data = clients.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchBucket", "404"):
            raise InputUnavailable("%s: its payload object s3://%s/%s is gone (expired with the run's retention, or deleted)"
                                   % (what, bucket, key))
        raise
    actual = hashlib.sha256(data).hexdigest()
    if len(data) != size or actual != sha:
        raise InputUnavailable("%s: its payload object s3://%s/%s does not match its reference (sha256 %s, %d bytes; "
                               "expected %s, %d bytes)" % (what, bucket, key, actual, len(data), sha, size))
    return json.loads(data.decode("utf-8"))
