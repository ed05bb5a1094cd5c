// Runs AWS SDK v3 calls listed as JSON on stdin, in order, and prints what each gave as JSON.
//
//   {"steps": [{"name": "bot", "client": "LexModelsV2", "command": "CreateBot", "input": {...}},
//              {"name": "ready", "client": "LexModelsV2", "waiter": "BotAvailable", "input": {...}},
//              {"name": "put", "fetch": {"method": "PUT", "url": ..., "body": ...}}]}
//
// Endpoint, region and credentials come from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY. Every client shares one keep-alive agent limited to one socket, and the
// SDK never retries, so a response that spoils its connection fails the next call instead of
// being hidden by a retry on a fresh one. In inputs, {"$ref": "bot.botId"} is a value from an
// earlier step's result and {"$bytes": base64} is binary; binary results come back as {"$bytes"}.
//
// Prints {"results": {name: result}, "connections": sockets opened}. A result is the command's
// output minus $metadata plus httpStatusCode, or {"error": {name, message, $fault, httpStatusCode}};
// a waiter gives {state, reason}; a fetch gives {httpStatusCode, headers, body}.
import http from "node:http";
import https from "node:https";

const PACKAGES = {
  LexModelsV2: "@aws-sdk/client-lex-models-v2",
  LexModelBuildingService: "@aws-sdk/client-lex-model-building-service",
  Personalize: "@aws-sdk/client-personalize",
  QuickSight: "@aws-sdk/client-quicksight",
};

let connections = 0;
const counting = (Agent) => class extends Agent {
  createConnection(...args) {
    connections += 1;
    return super.createConnection(...args);
  }
};
const agentOptions = { keepAlive: true, maxSockets: 1 };
const httpAgent = new (counting(http.Agent))(agentOptions);
const httpsAgent = new (counting(https.Agent))(agentOptions);

const env = process.env;
const config = {
  endpoint: env.AWS_ENDPOINT_URL,
  region: env.AWS_REGION,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  maxAttempts: 1,
  requestHandler: { httpAgent, httpsAgent },
};

const modules = {};
const clients = {};
async function client(name) {
  if (!PACKAGES[name]) throw new Error(`unknown client ${name}; known: ${Object.keys(PACKAGES).join(", ")}`);
  modules[name] ??= await import(PACKAGES[name]);
  clients[name] ??= new modules[name][`${name}Client`](config);
  return [clients[name], modules[name]];
}

function encode(value) {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString("base64") };
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "$metadata").map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

function resolve(value, results) {
  if (Array.isArray(value)) return value.map((v) => resolve(v, results));
  if (value && typeof value === "object") {
    if ("$bytes" in value) return Buffer.from(value.$bytes, "base64");
    if ("$ref" in value) {
      const [first, ...path] = value.$ref.split(".");
      let found = results[first];
      for (const key of path) found = found?.[key];
      if (found === undefined) throw new Error(`$ref ${value.$ref}: nothing there`);
      return found;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, results)]));
  }
  return value;
}

function failure(error) {
  return {
    error: {
      name: error.name,
      message: error.message,
      $fault: error.$fault,
      httpStatusCode: error.$metadata?.httpStatusCode ?? error.$response?.statusCode,
    },
  };
}

async function run(step, results) {
  const input = resolve(step.input ?? {}, results);
  if (step.fetch) {
    const { url, ...init } = resolve(step.fetch, results);
    const response = await fetch(url, init);
    const body = new Uint8Array(await response.arrayBuffer());
    return { httpStatusCode: response.status, headers: Object.fromEntries(response.headers), body: encode(body) };
  }
  const [sdk, module] = await client(step.client);
  if (step.waiter) {
    const wait = module[`waitUntil${step.waiter}`];
    if (!wait) throw new Error(`${step.client} has no waiter ${step.waiter}`);
    const result = await wait({ client: sdk, minDelay: 0.05, maxDelay: 0.5, maxWaitTime: step.seconds ?? 20 }, input);
    return { state: result.state, reason: encode(result.reason) };
  }
  const name = step.command.endsWith("Command") ? step.command : `${step.command}Command`;
  if (!module[name]) throw new Error(`${step.client} has no command ${name}`);
  const output = await sdk.send(new module[name](input));
  return { ...encode(output), httpStatusCode: output.$metadata.httpStatusCode };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { steps } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = {};
for (const [index, step] of steps.entries()) {
  const name = step.name ?? String(index);
  try {
    results[name] = await run(step, results);
  } catch (error) {
    results[name] = failure(error);
  }
}
for (const sdk of Object.values(clients)) sdk.destroy();
process.stdout.write(JSON.stringify({ results, connections }) + "\n");
