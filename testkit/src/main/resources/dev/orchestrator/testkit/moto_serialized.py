"""moto_server, with three fidelity fixes: DynamoDB requests are handled one at a time, CodeBuild
timestamps go out as epoch seconds, and a CloudFormation Ref of a layer version is its ARN.

DynamoDB applies each conditional write atomically per item; moto keeps no lock, and its threaded
server lets two conditional updates of one item both pass their condition. Serializing DynamoDB
requests restores the guarantee the orchestrator is built on (claims, version checks), while SQS
long polls and everything else stay concurrent.

moto's CodeBuild answers with ISO-8601 timestamp strings where AWS's JSON protocol sends epoch
seconds; the AWS SDK for Java refuses to read those responses, so they are rewritten on the way out.
moto's CloudFormation has no physical id for AWS::Lambda::LayerVersion, so a Ref of one (the layer
ARN the orchestrator stores in Parameter Store) resolved to an object the SSM API could not return.

The emulator dies with the process that started it: a watchdog thread polls the parent's pid and
exits when the parent is gone (a JVM killed with SIGKILL runs no shutdown hook, and a moto left
running would hold the local stack's state for the next start to trip over).
Usage: moto_serialized.py HOST PORT
"""
import json
import os
import sys
import threading
import time
from datetime import datetime

from moto.awslambda.models import LayerVersion
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

if not hasattr(LayerVersion, "physical_resource_id"):
    LayerVersion.physical_resource_id = property(lambda self: self.arn)

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
inner = DomainDispatcherApplication(create_backend_app)
dynamo_lock = threading.Lock()


TIMESTAMP_KEYS = {"startTime", "endTime", "created", "lastModified", "lastModifiedDate", "expirationDate"}


def epochs(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in TIMESTAMP_KEYS and isinstance(v, str):
                try:
                    v = datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
                except ValueError:
                    pass
            out[k] = epochs(v)
        return out
    if isinstance(node, list):
        return [epochs(v) for v in node]
    return node


def codebuild(environ, start_response):
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    body = b"".join(inner(environ, capture))
    try:
        body = json.dumps(epochs(json.loads(body))).encode()
    except ValueError:
        pass
    headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    start_response(captured["status"], headers)
    return [body]


def app(environ, start_response):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith("DynamoDB_"):
        with dynamo_lock:
            return list(inner(environ, start_response))
    if target.startswith("CodeBuild_"):
        return codebuild(environ, start_response)
    return inner(environ, start_response)


def exit_with_parent(parent, interval=1.0):
    """Exits this process once its parent has died (it is then re-parented, so getppid() changes)."""
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            sys.stderr.write("moto_serialized: parent process %d is gone; stopping\n" % parent)
            sys.stderr.flush()
            os._exit(0)


threading.Thread(target=exit_with_parent, args=(os.getppid(),), name="parent-watchdog", daemon=True).start()
run_simple(host, port, app, threaded=True)
