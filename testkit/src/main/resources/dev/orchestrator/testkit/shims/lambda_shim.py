"""Runs one Python Lambda handler for the local runner: one JSON request per stdin line
({"event": ..., "context": {...}}), one JSON reply per stdout line ({"result": ...} or
{"error": {"errorType", "errorMessage", "stackTrace"}}). Usage: lambda_shim.py CODE_DIR HANDLER

The handler's own prints go to stderr, so stdout carries only replies.
"""
import importlib
import json
import sys
import time
import traceback

replies = sys.stdout
sys.stdout = sys.stderr


class Context:
    """The attributes of Lambda's context object that handlers use."""

    def __init__(self, c):
        self.function_name = c.get("functionName", "local")
        self.function_version = "$LATEST"
        self.invoked_function_arn = c.get("functionArn", "")
        self.memory_limit_in_mb = c.get("memoryLimitInMB", 512)
        self.aws_request_id = c.get("awsRequestId", "")
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = "local"
        self._deadline = c.get("deadlineMs", int(time.time() * 1000) + 900_000)

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline - int(time.time() * 1000))


def load(code_dir, handler):
    module_name, _, function = handler.rpartition(".")
    if not module_name:
        raise SystemExit("handler '%s' must be module.function" % handler)
    sys.path.insert(0, code_dir)
    module = importlib.import_module(module_name.replace("/", "."))
    fn = getattr(module, function, None)
    if not callable(fn):
        raise SystemExit("handler '%s': module %s has no function %s" % (handler, module_name, function))
    return fn


def reply(obj):
    replies.write(json.dumps(obj) + "\n")
    replies.flush()


def main():
    code_dir, handler = sys.argv[1:3]
    fn = load(code_dir, handler)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply({"result": fn(request["event"], Context(request.get("context", {})))})
        except Exception as e:  # the handler's failure is the invocation's error, as on Lambda
            reply({"error": {"errorType": type(e).__name__, "errorMessage": str(e),
                             "stackTrace": traceback.format_exc().splitlines()}})
        sys.stderr.flush()


if __name__ == "__main__":
    main()
