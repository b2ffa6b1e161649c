// A real AWS API on loopback for the kit's tests: AWS_ENDPOINT_URL when set, else a moto_server started here on a
// free port (as the project's testkit Emulator does). Real DynamoDB, S3 and SQS calls; no mocks.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { SQSClient, CreateQueueCommand } from '@aws-sdk/client-sqs';

const freePort = () => new Promise((resolve, reject) => {
  const srv = createServer();
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

export async function startEmulator() {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  process.env.AWS_REGION ??= 'us-east-1';
  if (process.env.AWS_ENDPOINT_URL) return { stop: async () => {} };
  const port = await freePort();
  const proc = spawn(process.env.MOTO_SERVER ?? 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  let exited = null;
  proc.on('exit', (code) => { exited = code ?? 'signal'; });
  proc.on('error', (e) => { exited = e.message; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      if (exited !== null || Date.now() > deadline) {
        proc.kill();
        throw new Error(`moto_server did not answer on ${url} (exit: ${exited}); pip install 'moto[server]' or set AWS_ENDPOINT_URL`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  process.env.AWS_ENDPOINT_URL = url;
  return {
    stop: async () => {
      delete process.env.AWS_ENDPOINT_URL;
      if (exited === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill();
        await gone;
      }
    },
  };
}

/** A fresh status table, payload bucket and work queue, named in the environment as a plugin sees them. */
export async function freshResources() {
  const suffix = randomUUID().slice(0, 8);
  const ddb = new DynamoDBClient({});
  const table = `status-${suffix}`;
  await ddb.send(new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'uid', AttributeType: 'S' }, { AttributeName: 'workflow', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'uid', KeyType: 'HASH' }, { AttributeName: 'workflow', KeyType: 'RANGE' }] }));
  const bucket = `payload-${suffix}`;
  await new S3Client({ forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  const queue = (await new SQSClient({}).send(new CreateQueueCommand({ QueueName: `work-${suffix}` }))).QueueUrl;
  process.env.STATUS_TABLE = table;
  process.env.PAYLOAD_BUCKET = bucket;
  return { table, bucket, queue, ddb };
}
