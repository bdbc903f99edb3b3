// A Node test suite against `meterconform serve --admin`: the AWS SDK for JavaScript v3 meters usage, the
// admin surface (/meterconform-admin/) reads the ledger, sets chaos and the clock, and resets between tests.
//   meterconform serve --admin --port 4566 &
//   METERCONFORM_URL=http://127.0.0.1:4566 node --test metering.test.mjs
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { MarketplaceMeteringClient, BatchMeterUsageCommand } from "@aws-sdk/client-marketplace-metering";

const url = process.env.METERCONFORM_URL;
const admin = async (method, route, body) => {
  const response = await fetch(`${url}/meterconform-admin/${route}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  return response.json();
};
const seed = await admin("GET", "seed");
const client = new MarketplaceMeteringClient({
  region: seed.region, endpoint: url, maxAttempts: 1,
  credentials: { accessKeyId: "AKIDMETERCONFORM0001", secretAccessKey: "meterconform-reference-secret" },
});
const meter = (quantity, when = new Date()) => client.send(new BatchMeterUsageCommand({
  ProductCode: seed.product_code,
  UsageRecords: [{ CustomerIdentifier: seed.customers[0], Dimension: seed.dimensions[0], Quantity: quantity, Timestamp: when }],
}));

beforeEach(() => admin("POST", "reset", {}));

test("a metered record is in the ledger", async () => {
  const answer = await meter(3);
  assert.equal(answer.Results[0].Status, "Success");
  const { records } = await admin("GET", `records?customer=${seed.customers[0]}`);
  assert.deepEqual(records.map((r) => [r.dimension, r.quantity]), [[seed.dimensions[0], "3"]]);
});

test("chaos throttle=1 answers ThrottlingException", async () => {
  await admin("POST", "chaos", { throttle: 1.0, seed: 7 });
  await assert.rejects(meter(1), (error) => error.name === "ThrottlingException");
  assert.deepEqual((await admin("GET", "records")).records, []);
});

test("chaos unprocessed=1 hands the whole batch back", async () => {
  await admin("POST", "chaos", { unprocessed: 1.0 });
  const answer = await meter(1);
  assert.equal(answer.UnprocessedRecords.length, 1);
  assert.deepEqual(answer.Results, []);
});

test("the clock moves a record out of the window", async () => {
  const event = new Date();
  await admin("POST", "clock", { advance_seconds: 7 * 3600 });
  await assert.rejects(meter(1, event), (error) => error.name === "TimestampOutOfBoundsException");
});
