// Parses an X12 file with node-x12 (npm) the way its README shows —
// the whole file read into a string, then X12Parser.parse — and prints
// MB/s, the transaction sets and segments it found, and the peak RSS of
// the process as JSON. Usage: node parse.mjs FILE
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { X12Parser } = require('node-x12');

const file = process.argv[2];
if (!file) {
  console.error('usage: node parse.mjs FILE');
  process.exit(2);
}
const size = statSync(file).size;
const start = process.hrtime.bigint();
const edi = readFileSync(file, 'latin1');
const ic = new X12Parser(true).parse(edi);
const secs = Number(process.hrtime.bigint() - start) / 1e9;

// Count what was parsed, so the work cannot be skipped.
const ics = Array.isArray(ic.interchanges) ? ic.interchanges : [ic];
let sets = 0;
let segments = 0;
for (const i of ics) {
  for (const g of i.functionalGroups) {
    for (const t of g.transactions) {
      sets++;
      segments += t.segments.length;
    }
  }
}
console.log(JSON.stringify({
  parser: 'node-x12 ' + require('node-x12/package.json').version,
  node: process.version,
  file,
  bytes: size,
  transactionSets: sets,
  segments,
  seconds: +secs.toFixed(3),
  mbPerSec: +(size / 1e6 / secs).toFixed(1),
  peakRSSMB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
}));
