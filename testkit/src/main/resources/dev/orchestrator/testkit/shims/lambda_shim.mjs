// Runs one Node.js Lambda handler for the local runner: one JSON request per stdin line
// ({"event": ..., "context": {...}}), one JSON reply per stdout line ({"result": ...} or
// {"error": {"errorType", "errorMessage", "stackTrace"}}). Usage: node lambda_shim.mjs CODE_DIR HANDLER
// console output goes to stderr, so stdout carries only replies.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [codeDir, handler] = process.argv.slice(2);
const write = process.stdout.write.bind(process.stdout);
for (const level of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
  console[level] = (...args) => process.stderr.write(args.map(a => typeof a === 'string' ? a : JSON.stringify(a)).join(' ') + '\n');
}

async function load() {
  const dot = handler.lastIndexOf('.');
  if (dot < 1) throw new Error(`handler '${handler}' must be file.function`);
  const base = join(codeDir, handler.slice(0, dot));
  const file = ['.mjs', '.cjs', '.js'].map(ext => base + ext).find(existsSync);
  if (!file) throw new Error(`handler '${handler}': no ${base}.js, .mjs or .cjs`);
  const module = await import(pathToFileURL(file).href);
  const name = handler.slice(dot + 1);
  const fn = module[name] ?? module.default?.[name];
  if (typeof fn !== 'function') throw new Error(`handler '${handler}': ${file} exports no function ${name}`);
  return fn;
}

function context(c) {
  const deadline = c.deadlineMs ?? Date.now() + 900000;
  return {
    functionName: c.functionName ?? 'local', functionVersion: '$LATEST', invokedFunctionArn: c.functionArn ?? '',
    memoryLimitInMB: String(c.memoryLimitInMB ?? 512), awsRequestId: c.awsRequestId ?? '',
    logGroupName: `/aws/lambda/${c.functionName ?? 'local'}`, logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), callbackWaitsForEmptyEventLoop: true,
  };
}

// Callback-style handlers (event, context, callback) as well as async ones.
function call(fn, event, ctx) {
  if (fn.length >= 3) {
    return new Promise((resolve, reject) => fn(event, ctx, (err, result) => (err ? reject(err) : resolve(result))));
  }
  return Promise.resolve(fn(event, ctx));
}

const fn = await load();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  try {
    const result = await call(fn, request.event, context(request.context ?? {}));
    write(JSON.stringify({ result: result === undefined ? null : result }) + '\n');
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    write(JSON.stringify({ error: { errorType: err.name, errorMessage: err.message, stackTrace: (err.stack ?? '').split('\n') } }) + '\n');
  }
}
