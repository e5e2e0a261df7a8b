#!/usr/bin/env node
// The official Node client (clarifai-nodejs-grpc, on @grpc/grpc-js) against a MockV2 server:
// unary PostModelOutputs calls, with the same request and metadata as examples/load.rs, one at
// a time or CONCURRENCY loops in flight at once (one event loop, like the Rust tasks). Speaks the
// protocol of benches/compare_clients.sh: warms up for 0.5 s, then calls for SECONDS and prints
// one line, `calls wall_seconds cpu_seconds`, where the CPU is this process's own (user + system,
// all threads) over that window.
//
//     NODE_PATH=<dir>/node_modules node benches/node_client.js 127.0.0.1:PORT CONCURRENCY SECONDS
"use strict";

const { ClarifaiStub, grpc } = require("clarifai-nodejs-grpc");

if (process.argv.length !== 5) {
  console.error("usage: node benches/node_client.js 127.0.0.1:PORT CONCURRENCY SECONDS");
  process.exit(2);
}
const target = process.argv[2];
const concurrency = Number.parseInt(process.argv[3], 10);
const seconds = Number.parseFloat(process.argv[4]);

// ClarifaiStub.grpc() always dials TLS, and insecureGrpc() a fixed host; both build their stub
// from the package's own loaded protos and channel options. Take that stub's class and options
// and point it at the plaintext mock. (A grpc-js channel connects on its first call, so the
// probe stub never dials.)
const probe = ClarifaiStub.insecureGrpc();
const V2 = probe.constructor;
probe.close();
const stub = new V2(target, grpc.credentials.createInsecure(), {
  "grpc.max_receive_message_length": 1024 * 1024 * 1024,
  "grpc.max_send_message_length": 1024 * 1024 * 1024,
});

const metadata = new grpc.Metadata();
metadata.set("authorization", "Key bench-pat");
const request = {
  user_app_id: { user_id: "me", app_id: "app" },
  model_id: "general-image-recognition",
  inputs: [{ data: { image: { url: "https://samples.clarifai.com/metro-north.jpg" } } }],
};

function call() {
  return new Promise((resolve, reject) => {
    stub.PostModelOutputs(request, metadata, (err, response) => {
      if (err) reject(err);
      else if (response.status.code !== 10000) reject(new Error(`status ${response.status.code}`));
      else resolve();
    });
  });
}

async function loop(stop) {
  let n = 0;
  while (performance.now() < stop) {
    await call();
    n += 1;
  }
  return n;
}

async function window(secs) {
  const stop = performance.now() + secs * 1000;
  const counts = await Promise.all(Array.from({ length: concurrency }, () => loop(stop)));
  return counts.reduce((a, b) => a + b, 0);
}

async function main() {
  await window(0.5);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const calls = await window(seconds);
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(`${calls} ${wall.toFixed(6)} ${((used.user + used.system) / 1e6).toFixed(6)}`);
  stub.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
