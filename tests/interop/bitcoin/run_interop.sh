#!/usr/bin/env bash
# peerlink's Bitcoin node against bcoin (npm) on regtest, both directions, all on 127.0.0.1:
#   A: we dial bcoin   B: bcoin dials us (we advertise NETWORK|WITNESS = 9)
# Checks handshake, ping/pong both ways, address exchange as each side's rules allow (we learn from
# bcoin's getaddr answer in A; bcoin receives our self-advertisement in A and B), and that
# bcoin's extra messages (sendcmpct, getaddr, getblocks) do not end the connection.
# Usage: run_interop.sh PEERLINK_BINARY [BASE_PORT]   (ports BASE..BASE+31, below 32768)
set -u
PEERLINK=$1
BASE=${2:-24600}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/peerlink-btc-interop.XXXXXX)
PIDS=()
FAILURES=0
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
}
trap cleanup EXIT

check() {  # check NAME FILE PATTERN [SECONDS]: waits (bounded) for an extended regex in FILE
  local name=$1 file=$2 pattern=$3 limit=${4:-20}
  local end=$((SECONDS + limit))
  while ((SECONDS < end)); do
    if grep -Eq -- "$pattern" "$file" 2>/dev/null; then echo "ok   $name"; return 0; fi
    sleep 0.2
  done
  echo "FAIL $name (no /$pattern/ in $file within ${limit}s)"; FAILURES=$((FAILURES + 1)); return 1
}
absent() {  # absent NAME FILE PATTERN: the pattern must not appear
  if grep -Eq -- "$3" "$2"; then echo "FAIL $1"; grep -E -- "$3" "$2" | head -3; FAILURES=$((FAILURES + 1)); else echo "ok   $1"; fi
}

# --- A: we dial bcoin ---
BCOIN_A=$BASE; OURS_A=$((BASE + 10))
"${NODE:-node}" "$HERE/bcoin_node.js" --port "$BCOIN_A" --known 1.2.3.4:18444 > "$WORK/bcoin_a.log" 2> "$WORK/bcoin_a.err" & PIDS+=($!)
check "A: bcoin ready" "$WORK/bcoin_a.log" '"event":"ready"' 60 || { cat "$WORK/bcoin_a.err"; exit 1; }
"$PEERLINK" btc node --network regtest --listen "127.0.0.1:$OURS_A" --addpeer "127.0.0.1:$BCOIN_A" \
  --services 9 --ping-interval 1 --max-outbound 0 > "$WORK/peerlink_a.log" 2>&1 & PIDS+=($!)
check "A: handshake (we see bcoin)" "$WORK/peerlink_a.log" "^connected 127.0.0.1:$BCOIN_A outbound version=70015 services=9 agent=/bcoin:"
check "A: handshake (bcoin sees us inbound)" "$WORK/bcoin_a.log" '"event":"open".*"outbound":false.*"agent":"/peerlink:'
check "A: our ping answered by bcoin" "$WORK/peerlink_a.log" "^rtt 127.0.0.1:$BCOIN_A "
check "A: bcoin's ping answered by us" "$WORK/bcoin_a.log" '"event":"pong"'
check "A: bcoin received our address" "$WORK/bcoin_a.log" "\"cmd\":\"addr\",\"items\":\\[[^]]*\"127.0.0.1:$OURS_A\""
check "A: bcoin received our getaddr" "$WORK/bcoin_a.log" '"cmd":"getaddr"'
check "A: we learned bcoin's known address from its getaddr answer" "$WORK/peerlink_a.log" "^learned 1.2.3.4:18444 from 127.0.0.1:$BCOIN_A"
check "A: bcoin sent us sendcmpct" "$WORK/bcoin_a.log" '"event":"sent".*"cmd":"sendcmpct"'
sleep 3  # and we carried on after it
absent "A: connection stayed up" "$WORK/peerlink_a.log" '^disconnected'

# --- B: bcoin dials us ---
OURS_B=$((BASE + 20)); BCOIN_B=$((BASE + 24))
"$PEERLINK" btc node --network regtest --listen "127.0.0.1:$OURS_B" --services 9 --ping-interval 1 \
  --max-outbound 0 > "$WORK/peerlink_b.log" 2>&1 & PIDS+=($!)
check "B: peerlink listening" "$WORK/peerlink_b.log" '^listening'
"${NODE:-node}" "$HERE/bcoin_node.js" --port "$BCOIN_B" --connect "127.0.0.1:$OURS_B" > "$WORK/bcoin_b.log" 2> "$WORK/bcoin_b.err" & PIDS+=($!)
check "B: handshake (bcoin sees us outbound, keeps us)" "$WORK/bcoin_b.log" '"event":"open".*"outbound":true.*"services":9.*"agent":"/peerlink:' 60
check "B: handshake (we see bcoin inbound)" "$WORK/peerlink_b.log" '^connected 127.0.0.1:[0-9]+ inbound version=70015 services=9 agent=/bcoin:'
check "B: our ping answered by bcoin" "$WORK/peerlink_b.log" '^rtt 127.0.0.1:'
check "B: bcoin's ping answered by us" "$WORK/bcoin_b.log" '"event":"pong"'
# bcoin advertises only routable local addresses (HostList.addLocal) and we send getaddr only to
# peers we dialled (Core's rule), so in B nothing flows from bcoin to us; A covers that direction.
check "B: bcoin received our address" "$WORK/bcoin_b.log" "\"cmd\":\"addr\",\"items\":\\[[^]]*\"127.0.0.1:$OURS_B\""
check "B: bcoin sent us sendcmpct" "$WORK/bcoin_b.log" '"event":"sent".*"cmd":"sendcmpct"'
check "B: bcoin sent us getaddr" "$WORK/bcoin_b.log" '"event":"sent".*"cmd":"getaddr"'
check "B: bcoin sent us getblocks" "$WORK/bcoin_b.log" '"event":"sent".*"cmd":"getblocks"'
sleep 3  # and we carried on after them
absent "B: connection stayed up" "$WORK/peerlink_b.log" '^disconnected'
absent "B: bcoin kept the connection" "$WORK/bcoin_b.log" '"event":"close"'

if ((FAILURES > 0)); then
  echo "$FAILURES check(s) failed; logs in $WORK"
  for f in "$WORK"/*.log; do echo "== $f"; tail -20 "$f"; done
  exit 1
fi
rm -rf "$WORK"
echo "all bitcoin interop checks passed"
