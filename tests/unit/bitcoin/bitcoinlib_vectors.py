#!/usr/bin/python3
# Prints "name hex" lines of mainnet frames encoded by Debian's python3-bitcoinlib
# (bitcoin.messages), an encoder independent of ours; bitcoinlib_crosscheck_test.cpp compares them
# with our encoder and decodes them with our decoder. Exits 77 when the package is missing.
import sys

try:
    import bitcoin
    from bitcoin.messages import (msg_version, msg_verack, msg_addr, msg_inv, msg_getdata,
                                  msg_notfound, msg_ping, msg_pong, msg_getaddr, msg_reject)
    from bitcoin.net import CAddress, CInv
except ImportError:
    sys.exit(77)

bitcoin.SelectParams('mainnet')


def address(ip, port, services, time=None):
    a = CAddress()
    a.ip = ip
    a.port = port
    a.nServices = services
    if time is not None:
        a.nTime = time
    return a


def inv(t, seed):
    i = CInv()
    i.type = t
    i.hash = bytes((seed + k) % 256 for k in range(32))
    return i


def emit(name, msg):
    print(name, msg.to_bytes().hex())


v = msg_version()
v.nVersion = 70016
v.nServices = 1033
v.nTime = 1700000000
v.addrTo = address("192.168.0.1", 8333, 1)
v.addrFrom = address("2001:db8::1", 18444, 1033)
v.nNonce = 0x1122334455667788
v.strSubVer = b"/Satoshi:27.0.0/"
v.nStartingHeight = 850000
v.fRelay = True
emit("version", v)
emit("verack", msg_verack())
emit("getaddr", msg_getaddr())
emit("ping", msg_ping(nonce=0x0123456789abcdef))
emit("pong", msg_pong(nonce=42))

a = msg_addr()
a.addrs = [address("10.0.0.1", 8333, 9, 1700000001), address("2001:db8::2", 8333, 1, 1700000002)]
emit("addr", a)

for name, cls in (("inv", msg_inv), ("getdata", msg_getdata), ("notfound", msg_notfound)):
    m = cls()
    m.inv = [inv(1, 1), inv(2, 100), inv(0x40000001, 200)]
    emit(name, m)

r = msg_reject()
r.message = b"version"
r.ccode = b"\x11"
r.reason = b"protocol version must be 70001 or greater"
emit("reject", r)
