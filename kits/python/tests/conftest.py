"""A real AWS API on loopback for the kit's tests: AWS_ENDPOINT_URL when set, else a moto_server started here
on a free port (as the project's testkit Emulator does). Real DynamoDB, S3 and SQS calls; no mocks."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import boto3
import pytest


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint():
    given = os.environ.get("AWS_ENDPOINT_URL")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if given:
        yield given
        return
    server = shutil.which("moto_server") or os.path.join(os.path.dirname(sys.executable), "moto_server")
    if not os.path.exists(server):
        pytest.fail("moto_server is missing: pip install 'moto[server]' (or set AWS_ENDPOINT_URL)")
    port = _free_port()
    proc = subprocess.Popen([server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("moto_server did not answer on %s" % url)
            time.sleep(0.1)
    os.environ["AWS_ENDPOINT_URL"] = url
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    del os.environ["AWS_ENDPOINT_URL"]


@pytest.fixture
def aws(endpoint, monkeypatch):
    """A fresh status table, payload bucket and work queue, named in the environment as a plugin sees them."""
    suffix = uuid.uuid4().hex[:8]
    ddb = boto3.client("dynamodb")
    table = "status-" + suffix
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "uid", "AttributeType": "S"},
                                           {"AttributeName": "workflow", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "uid", "KeyType": "HASH"}, {"AttributeName": "workflow", "KeyType": "RANGE"}])
    bucket = "payload-" + suffix
    boto3.client("s3").create_bucket(Bucket=bucket)
    queue = boto3.client("sqs").create_queue(QueueName="work-" + suffix)["QueueUrl"]
    monkeypatch.setenv("STATUS_TABLE", table)
    monkeypatch.setenv("PAYLOAD_BUCKET", bucket)
    return {"table": table, "bucket": bucket, "queue": queue, "ddb": ddb}
