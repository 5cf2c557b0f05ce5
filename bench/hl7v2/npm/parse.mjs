// Parses every HL7 v2 message under the given directories with
// @medplum/core (the fastest npm parser measured here) for a fixed time
// and prints messages/s and MB/s as JSON. Usage:
//   node parse.mjs [seconds] DIR...
import { Hl7Message } from '@medplum/core';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const seconds = Number(args[0]) || 5;
const dirs = args.slice(1);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.hl7') && !/^(malformed|invalid)-/.test(name)) out.push(p);
  }
  return out;
}

// The same selection as the Go benchmark: files that are not deliberately
// malformed (named malformed-* or invalid-*) and hold one message
// starting with MSH, segments split on CR, LF or CRLF.
const messages = [];
let skipped = 0;
for (const f of dirs.flatMap((d) => walk(d, []))) {
  const text = readFileSync(f, 'latin1').replace(/^\uFEFF/, '');
  if (!text.startsWith('MSH') || (text.match(/(^|[\r\n])MSH/g) || []).length !== 1) continue;
  const m = text.replace(/\r\n|\n/g, '\r').replace(/\r+$/, '');
  try {
    Hl7Message.parse(m);
  } catch {
    skipped++; // the parser cannot take it; leave it out of both sides' counts
    continue;
  }
  messages.push(m);
}
const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m, 'latin1'), 0);

let parsed = 0;
let parsedBytes = 0;
let fields = 0;
const end = process.hrtime.bigint() + BigInt(seconds * 1e9);
const start = process.hrtime.bigint();
while (process.hrtime.bigint() < end) {
  for (const m of messages) {
    const msg = Hl7Message.parse(m);
    fields += msg.segments.length; // keep the result alive
  }
  parsed += messages.length;
  parsedBytes += bytes;
}
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({
  parser: '@medplum/core ' + JSON.parse(readFileSync(new URL('./node_modules/@medplum/core/package.json', import.meta.url))).version,
  node: process.version,
  messages: messages.length,
  skipped,
  msgsPerSec: Math.round(parsed / secs),
  mbPerSec: +(parsedBytes / secs / 1e6).toFixed(1),
  segments: fields > 0,
}));
