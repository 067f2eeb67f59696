#!/usr/bin/env python3
"""Telemetry clients that come and go: against a running daemon's control API on loopback, for SECONDS, open 100
connections at a time, ask each for the /api/telemetry WebSocket upgrade, then let a third vanish mid-handshake, a
third reset the connection (SO_LINGER 0) after the upgrade and a third close it after the upgrade; repeat.
Prints one JSON object: clients, upgraded, errors, seconds.

usage: telemetry-churn.py PORT TOKEN SECONDS
"""
import json
import socket
import struct
import sys
import time


def main():
    port, token, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    req = ("GET /api/telemetry?token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % (token, port)).encode()
    end = time.time() + seconds
    clients = upgraded = errors = 0
    while time.time() < end:
        socks = []
        for _ in range(100):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(req)
                socks.append(s)
            except OSError:
                errors += 1
        for i, s in enumerate(socks):
            try:
                if i % 3 != 0:
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        head += chunk
                    if head.startswith(b"HTTP/1.1 101"):
                        upgraded += 1
                if i % 3 == 1:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            except OSError:
                errors += 1
            clients += 1
    print(json.dumps({"clients": clients, "upgraded": upgraded, "errors": errors, "seconds": seconds}))


if __name__ == "__main__":
    main()
