#!/usr/bin/env node
// Start @vercel/cosmosdb-server over HTTPS (its own self-signed certificate) on a given host and port, with one fix: reading
// a missing document answers 404 NotFound (as Cosmos DB does) instead of a 500 from a TypeError.
// Usage: node cosmosdb-server.js <node_modules dir> <host> <port>
"use strict";
const path = require("path");

const [modules, host, port] = process.argv.slice(2);
const lib = path.resolve(modules, "@vercel", "cosmosdb-server", "lib");
const readDocument = require(path.join(lib, "handler", "read-document"));
const partition = require(path.join(lib, "utils", "get-partition-from-header"));

const original = readDocument.default;
readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  if (collection.read()) {
    const key = partition.parsePartitionKey(partition.default(req), params.docId);
    if (collection.document(params.docId, key).read() === undefined) {
      res.statusCode = 404;
      return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
    }
  }
  return original(account, req, res, params);
};

// The routes table reads `readDocument.default` when it loads, so load it only now.
const { createHttpsServer } = require(lib);
// Keep connections alive, as Cosmos DB does (closing each one leaves TLS transports to linger).
const server = createHttpsServer({ keepAlive: true }).listen(Number(port), host, () => {
  console.log(`cosmosdb-server listening on https://${host}:${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
