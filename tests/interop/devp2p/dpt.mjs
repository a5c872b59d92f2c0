// An independent discv4 node for peerlink's interop tests: @ethereumjs/devp2p's DPT on 127.0.0.1 (a free
// UDP port). Prints one JSON object per line on stdout; takes one JSON command per line on stdin:
//   {"cmd":"bootstrap","address":A,"udpPort":P}   ping the node, add it, send it FindNeighbours (own ID)
//   {"cmd":"find","address":A,"udpPort":P,"id":HEX} FindNeighbours for the 64-byte target HEX
//   {"cmd":"peers"}                                 print the table
// Events: listening {id, port}, peer:added {id, address, udpPort}, neighbours {from, peers:[{id,...}]},
// peers {peers}, error. Exits 0 on stdin EOF, 3 after a hard 30 s limit.
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Common, Mainnet } from '@ethereumjs/common';
import { DPT, decode } from '@ethereumjs/devp2p';
import { bytesToHex, hexToBytes } from '@ethereumjs/util';

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const hex = (b) => bytesToHex(b).slice(2);
setTimeout(() => {
  out({ event: 'timeout' });
  process.exit(3);
}, 30000).unref();

const common = new Common({ chain: Mainnet });
const dpt = new DPT(randomBytes(32), {
  common,
  endpoint: { address: '127.0.0.1', udpPort: null, tcpPort: null },
  timeout: 1000,
  // Refresh sends FindNeighbours to the table's nodes; slow so the test's own requests stand out.
  refreshInterval: 600000,
  shouldFindNeighbours: true,
});
dpt.events.on('error', (err) => out({ event: 'error', error: String(err) }));
dpt.events.on('peer:added', (peer) =>
  out({ event: 'peer:added', id: hex(peer.id), address: peer.address, udpPort: peer.udpPort }),
);

// Neighbours packets carry node IDs that DPT drops on the way to its table: decode them again here.
const server = dpt._server;
const handler = server._handler.bind(server);
server._handler = (msg, rinfo) => {
  if (msg.length > 97 && msg[97] === 4) {
    try {
      const info = decode(msg, common);
      out({
        event: 'neighbours',
        from: { address: rinfo.address, udpPort: rinfo.port },
        peers: info.data.peers.map((p) => ({
          id: hex(p.id),
          address: p.endpoint.address,
          udpPort: p.endpoint.udpPort,
          tcpPort: p.endpoint.tcpPort,
        })),
      });
    } catch (err) {
      out({ event: 'error', error: 'neighbours decode: ' + String(err) });
    }
  }
  handler(msg, rinfo);
};

dpt.events.once('listening', () => {
  const port = server._socket.address().port;
  server._endpoint.udpPort = port;
  server._endpoint.tcpPort = port;
  out({ event: 'listening', id: hex(dpt.id), port });
});
dpt.bind(0, '127.0.0.1');

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    out({ event: 'error', error: 'bad command: ' + line });
    return;
  }
  const peer = { address: cmd.address, udpPort: cmd.udpPort, tcpPort: cmd.udpPort };
  if (cmd.cmd === 'bootstrap') {
    dpt.bootstrap(peer);
  } else if (cmd.cmd === 'find') {
    server.findneighbours(peer, hexToBytes('0x' + cmd.id));
  } else if (cmd.cmd === 'peers') {
    out({
      event: 'peers',
      peers: dpt.getPeers().map((p) => ({ id: hex(p.id), address: p.address, udpPort: p.udpPort })),
    });
  }
});
lines.on('close', () => {
  dpt.destroy();
  process.exit(0);
});
