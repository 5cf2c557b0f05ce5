// send.mjs: an independent MLLP client for Tributary's listener tests.
//
// It sends HL7 v2 messages with node-hl7-client (3.x; 4.x needs Node 22)
// over one connection, one at a time (each after the previous ACK), and
// prints one JSON line per ACK, as the library parsed it:
//
//   {"index":0,"msa1":"AE","msa2":"CTRL-1","err2":"PID-7","err3":"102","ack":"MSH|..."}
//
// Usage: node send.mjs --port PORT [--host 127.0.0.1] [--timeout-ms 10000] < messages.json
// where messages.json is {"messages": ["MSH|...\r...", ...]}.
// Exit status 0 when every message got an ACK, 1 otherwise.
import { Client, Message } from 'node-hl7-client'

function arg (name, def) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : def
}

const host = arg('host', '127.0.0.1')
const port = Number(arg('port'))
const timeoutMs = Number(arg('timeout-ms', '10000'))
if (!Number.isInteger(port)) {
  console.error('send.mjs: --port is required')
  process.exit(2)
}

const chunks = []
for await (const c of process.stdin) chunks.push(c)
const { messages } = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const field = (msg, path) => {
  try {
    return msg.get(path).toString()
  } catch {
    return '' // the library throws for an absent segment
  }
}

let waiting = null // resolves with the next ACK
let lastRaw = ''
const client = new Client({ host })
const conn = client.createConnection({ port, waitAck: true, maxConnectionAttempts: 5 }, (res) => {
  const ack = res.getMessage()
  const out = {
    msa1: field(ack, 'MSA.1'),
    msa2: field(ack, 'MSA.2'),
    err2: field(ack, 'ERR.2.1') && `${field(ack, 'ERR.2.1')}-${field(ack, 'ERR.2.3')}`, // e.g. PID-7
    err3: field(ack, 'ERR.3.1'),
    ack: lastRaw
  }
  if (waiting) waiting(out)
})
conn.on('data.raw', (raw) => { lastRaw = raw })
conn.on('client.error', (err) => console.error('send.mjs: connection error:', err.message))

await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('no connection')), timeoutMs)
  conn.once('connect', () => { clearTimeout(t); resolve() })
}).catch((err) => { console.error('send.mjs:', err.message); process.exit(1) })

let failed = 0
for (const [index, text] of messages.entries()) {
  const ackP = new Promise((resolve) => { waiting = resolve })
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs))
  await conn.sendMessage(new Message({ text }))
  const res = await Promise.race([ackP, timeout])
  if (res === null) {
    console.error(`send.mjs: no ACK for message ${index} within ${timeoutMs} ms`)
    failed++
    break
  }
  console.log(JSON.stringify({ index, ...res }))
}
await conn.close()
client.closeAll()
process.exit(failed > 0 ? 1 : 0)
