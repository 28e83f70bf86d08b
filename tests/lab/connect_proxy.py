#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy for the probe tests: loopback only, counts the
tunnels it opened in PORTFILE.count.  Usage: connect_proxy.py PORTFILE"""
import socket
import sys
import threading

portfile = sys.argv[1]
count = 0
lock = threading.Lock()


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(c):
    global count
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 8192:
        d = c.recv(4096)
        if not d:
            c.close()
            return
        head += d
    line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(line) < 2 or line[0] != "CONNECT":
        c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
        c.close()
        return
    host, _, port = line[1].rpartition(":")
    host = host.strip("[]")
    if not (host.startswith("127.") or host == "::1"):
        c.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")  # loopback only
        c.close()
        return
    try:
        u = socket.create_connection((host, int(port)), timeout=5)
        u.settimeout(None)
    except OSError:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
        c.close()
        return
    with lock:
        count += 1
        with open(portfile + ".count", "w") as f:
            f.write(f"{count}\n")
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(f"{srv.getsockname()[1]}\n")
import os
os.rename(portfile + ".tmp", portfile)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
