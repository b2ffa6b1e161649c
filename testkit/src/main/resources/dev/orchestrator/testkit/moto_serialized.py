"""moto_server, with DynamoDB requests handled one at a time.

DynamoDB applies each conditional write atomically per item; moto keeps no lock, and its threaded
server lets two conditional updates of one item both pass their condition. Serializing DynamoDB
requests restores the guarantee the orchestrator is built on (claims, version checks), while SQS
long polls and everything else stay concurrent. Usage: moto_serialized.py HOST PORT
"""
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
inner = DomainDispatcherApplication(create_backend_app)
dynamo_lock = threading.Lock()


def app(environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with dynamo_lock:
            return list(inner(environ, start_response))
    return inner(environ, start_response)


run_simple(host, port, app, threaded=True)
