// An independent RLPx peer for peerlink's interop tests: @ethereumjs/devp2p with a tiny custom
// capability "plk/1" (4 codes). Prints one JSON object per line on stdout for the test driver.
//   node peer.mjs listen                      listen on 127.0.0.1 (free port), wait for a dial
//   node peer.mjs dial <enode> [reason]       dial; after our "plk" code 2 arrives, Disconnect(reason)
// On a new peer it sends plk code 1 ("from-js") and a Ping; on plk code 2 it answers code 3 with
// "ack:" + payload. It exits 0 when the peer is removed, 3 after a hard 20 s limit.
import { randomBytes } from 'node:crypto';
import { Common, Mainnet } from '@ethereumjs/common';
import { RLPx } from '@ethereumjs/devp2p';
import { bytesToHex, bytesToUtf8, hexToBytes, utf8ToBytes } from '@ethereumjs/util';
import * as snappy from 'snappyjs';

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const hex = (b) => bytesToHex(b).slice(2);
setTimeout(() => {
  out({ event: 'timeout' });
  process.exit(3);
}, 20000).unref();

const [mode, enode, reasonArg] = process.argv.slice(2);
if (mode !== 'listen' && mode !== 'dial') {
  console.error('usage: node peer.mjs listen | dial <enode> [reason]');
  process.exit(2);
}

class Plk {
  constructor(version, peer, send) {
    this._version = version;
    this._peer = peer;
    this._send = send;
  }
  // Subprotocol payloads are compressed by the sender once both sides run p2p >= 5.
  send(code, bytes) {
    const hello = this._peer.getHelloMessage();
    const data = hello !== null && hello.protocolVersion >= 5 ? snappy.compress(bytes) : bytes;
    this._send(code, data);
  }
  _handleMessage(code, payload) {
    const text = bytesToUtf8(payload);
    out({ event: 'msg', code, payload: text });
    if (code === 2) {
      this.send(3, utf8ToBytes('ack:' + text));
      if (mode === 'dial' && reasonArg !== undefined) {
        // Let the ack go out first: Disconnect is written synchronously behind it.
        this._peer.disconnect(Number(reasonArg));
      }
    }
  }
}

const common = new Common({ chain: Mainnet });
const rlpx = new RLPx(randomBytes(32), {
  capabilities: [{ name: 'plk', version: 1, length: 4, constructor: Plk }],
  common,
  clientId: utf8ToBytes('ethereumjs-interop/10'),
  maxPeers: 4,
  timeout: 10000,
});
rlpx.events.on('error', (err) => out({ event: 'error', error: String(err) }));
rlpx.events.on('peer:error', (_peer, err) => out({ event: 'peer-error', error: String(err) }));

rlpx.events.on('peer:added', (peer) => {
  const hello = peer.getHelloMessage();
  out({
    event: 'peer',
    id: hex(peer.getId()),
    clientId: hello.clientId,
    protocolVersion: hello.protocolVersion,
    port: hello.port,
    caps: hello.capabilities.map((c) => `${c.name}/${c.version}`),
  });
  const handlePong = peer._handlePong.bind(peer);
  peer._handlePong = () => {
    out({ event: 'pong' });
    handlePong();
  };
  const plk = peer.getProtocols().find((p) => p instanceof Plk);
  plk.send(1, utf8ToBytes('from-js'));
  peer._sendPing();
});

rlpx.events.on('peer:removed', (_peer, reason, disconnectWe) => {
  out({ event: 'removed', reason, disconnectWe });
  rlpx.destroy();
  setTimeout(() => process.exit(0), 100);
});

if (mode === 'listen') {
  rlpx.events.once('listening', () => {
    const port = rlpx._server.address().port;
    rlpx._listenPort = port;  // our Hello announces the port the OS gave us
    out({ event: 'listening', id: hex(rlpx.id), port });
  });
  rlpx.listen(0, '127.0.0.1');
} else {
  const m = /^enode:\/\/([0-9a-f]{128})@([0-9.]+):(\d+)/.exec(enode ?? '');
  if (!m) {
    console.error('bad enode');
    process.exit(2);
  }
  out({ event: 'start', id: hex(rlpx.id) });
  rlpx.listen(0, '127.0.0.1');
  rlpx.connect({ id: hexToBytes('0x' + m[1]), address: m[2], tcpPort: Number(m[3]) }).catch((err) => {
    out({ event: 'dial-error', error: String(err) });
    process.exit(4);
  });
}
