#!/usr/bin/env node
// Starts a bcoin regtest full node on 127.0.0.1 for peerlink's interop tests and prints what it
// sees as JSON lines on stdout. Everything that could reach beyond this host is switched off: DNS
// seeds, external IP discovery, UPnP, and any connect to a non-loopback address.
// Usage: node bcoin_node.js --port P [--connect HOST:PORT] [--known HOST:PORT] [--prefix DIR]
// --known puts an address in bcoin's host list (never dialled) so that it has a getaddr answer.
'use strict';

const path = require('path');
const os = require('os');
const fs = require('fs');

const Pool = require('bcoin/lib/net/pool');
const Peer = require('bcoin/lib/net/peer');
const bcoin = require('bcoin');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({event}, fields)) + '\n');
}

const port = Number(arg('--port', '0'));
const connect = arg('--connect', null);
const known = arg('--known', null);
if (!(port > 0 && port < 32768)) {
  process.stderr.write('--port must be between 1 and 32767\n');
  process.exit(2);
}

Pool.prototype.discoverExternal = async function() {};
Pool.prototype.discoverGateway = async function() {};
Pool.prototype.discoverSeeds = async function() {};

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1', 'localhost']);
const originalConnect = Peer.prototype.connect;
Peer.prototype.connect = function(addr) {
  if (!loopback.has(addr.host))
    throw new Error(`refusing non-loopback connect to ${addr.host}`);
  return originalConnect.call(this, addr);
};

// Never pick a non-loopback host from the host list (--known entries are there only to be told).
const originalGetHost = Pool.prototype.getHost;
Pool.prototype.getHost = function() {
  const addr = originalGetHost.call(this);
  return addr && loopback.has(addr.host) ? addr : null;
};

// Every packet bcoin sends.
const originalSend = Peer.prototype.send;
Peer.prototype.send = function(packet) {
  emit('sent', {peer: this.hostname(), cmd: packet.cmd});
  return originalSend.call(this, packet);
};

// Every packet bcoin receives, with the addresses of addr packets.
const originalHandle = Pool.prototype.handlePacket;
Pool.prototype.handlePacket = async function(peer, packet) {
  const fields = {peer: peer.hostname(), cmd: packet.cmd};
  if (packet.cmd === 'addr')
    fields.items = packet.items.map(item => item.hostname);
  emit('packet', fields);
  return originalHandle.call(this, peer, packet);
};

const prefix = arg('--prefix', fs.mkdtempSync(path.join(os.tmpdir(), 'bcoin-')));

const node = new bcoin.FullNode({
  network: 'regtest',
  prefix,
  memory: true,
  workers: false,
  listen: true,
  host: '127.0.0.1',
  port,
  publicHost: '127.0.0.1',
  publicPort: port,
  seeds: [],
  nodes: [],
  only: connect ? [connect] : [],
  maxOutbound: 1,
  upnp: false,
  logLevel: 'none',
  logConsole: false,
  httpPort: port + 1,
  httpHost: '127.0.0.1',
  apiKey: 'peerlink-interop'
});

node.pool.on('peer open', (peer) => {
  emit('open', {
    peer: peer.hostname(),
    outbound: peer.outbound,
    version: peer.version,
    services: peer.services,
    agent: peer.agent
  });
  // Measure a round trip ourselves: bcoin's own pings come only every 30 s.
  peer.sendPing();
  const started = Date.now();
  const timer = setInterval(() => {
    if (peer.lastPong > 0) {
      emit('pong', {peer: peer.hostname(), rtt_ms: peer.minPing});
      clearInterval(timer);
    } else if (Date.now() - started > 10000 || peer.destroyed) {
      clearInterval(timer);
    }
  }, 100);
});
node.pool.on('peer close', (peer, connected) => {
  emit('close', {peer: peer.hostname(), connected});
});
node.on('error', (err) => emit('error', {message: String(err && err.message)}));

function stop() {
  node.close().then(() => process.exit(0), () => process.exit(1));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

(async () => {
  await node.open();
  if (known) {
    const NetAddress = require('bcoin/lib/net/netaddress');
    const addr = NetAddress.fromHostname(known, 'regtest');
    addr.services = 9;
    addr.time = node.network.now();
    node.pool.hosts.add(addr);
  }
  await node.connect();
  node.startSync();
  emit('ready', {port});
})().catch((err) => {
  emit('error', {message: String(err && err.stack)});
  process.exit(1);
});
