#!/usr/bin/env python3
"""A registry that breaks: an HTTP proxy on 127.0.0.1 in front of the test
registry that cuts blob downloads short, for 211-registry-faults.bats.

Usage: cutproxy.py DIR UPSTREAM (host:port, plain HTTP)

It listens on a free loopback port, which it writes to DIR/port once it
accepts connections. Before each request it reads DIR/mode (absent: pass):

  pass               everything as the registry answers it
  cut:N              every blob response (GET /v2/…/blobs/…) stops after N
                     bytes of its body and the connection is reset, resumed
                     (Range) requests included: each attempt gets N bytes
  cut-once:N         only the first response for each blob is cut
  stuck:N            every blob response stops at byte N of the blob and
                     the connection is reset: a resumed request from byte N
                     on gets nothing, so downloads make no more progress
  norange-cut-once:N the first response for each blob is cut; later ones
                     ignore Range and send the whole blob again (200)
  corrupt-resume:N   the first response for each blob is cut; a resumed
                     request gets the right range with every byte inverted

A mode that changes starts its counts afresh. Each request is logged to
DIR/log as "METHOD PATH range=RANGE status=STATUS sent=BYTES[ cut]".
Test-only: no TLS, no request bodies (pulls only), loopback only.
"""

import http.client
import http.server
import os
import socket
import struct
import sys
import threading

DIR, UPSTREAM = sys.argv[1], sys.argv[2]
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
lock = threading.Lock()
state = {"mode": None, "seen": {}}


def mode():
    try:
        with open(os.path.join(DIR, "mode")) as f:
            text = f.read().strip() or "pass"
    except FileNotFoundError:
        text = "pass"
    with lock:
        if text != state["mode"]:
            state["mode"], state["seen"] = text, {}
    name, _, n = text.partition(":")
    return name, int(n or 0)


def first_time(path):
    with lock:
        count = state["seen"].get(path, 0)
        state["seen"][path] = count + 1
        return count == 0


def log(line):
    with lock, open(os.path.join(DIR, "log"), "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.forward()

    def do_GET(self):
        self.forward()

    def forward(self):
        name, n = mode()
        is_blob = "/blobs/" in self.path and self.command == "GET"
        cut_at = None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
        rng = self.headers.get("Range", "")
        invert = False
        if is_blob:
            first = first_time(self.path)
            if name == "stuck":
                start = int(rng[6:].split("-")[0]) if rng.startswith("bytes=") else 0
                cut_at = max(0, n - start)
            elif name == "cut" or (name in ("cut-once", "norange-cut-once", "corrupt-resume") and first):
                cut_at = n
            elif name == "norange-cut-once":
                headers.pop("Range", None)
            elif name == "corrupt-resume" and rng:
                invert = True
        up = http.client.HTTPConnection(UPSTREAM, timeout=60)
        up.request(self.command, self.path, headers=headers)
        resp = up.getresponse()
        body_len = resp.getheader("Content-Length")
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", body_len or "0")
            self.end_headers()
            log(f"HEAD {self.path} status={resp.status}")
            up.close()
            return
        # The whole body at once unless it streams with a known length.
        data = None
        if body_len is None:
            data = resp.read()
            body_len = str(len(data))
        self.send_header("Content-Length", body_len)
        self.end_headers()
        sent, cut, gone = 0, False, False
        try:
            while True:
                if data is not None:
                    chunk, data = data, b""
                else:
                    chunk = resp.read(65536)
                if not chunk:
                    break
                if invert:
                    chunk = bytes(b ^ 0xFF for b in chunk)
                if cut_at is not None and sent + len(chunk) >= cut_at:
                    chunk = chunk[: cut_at - sent]
                    cut = True
                self.wfile.write(chunk)
                sent += len(chunk)
                if cut:
                    break
        except OSError:
            gone = True  # the client hung up (it gave up on what it got)
        finally:
            up.close()
            log(f"GET {self.path} range={rng or '-'} status={resp.status} sent={sent}"
                f"{' cut' if cut else ''}{' client-gone' if gone else ''}")
        if gone:
            self.close_connection = True
            return
        if cut:
            # A reset, as a dropped link or a killed server looks to the client.
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that went away, or a connection this proxy reset


server = Server(("127.0.0.1", 0), Handler)
tmp = os.path.join(DIR, "port.tmp")
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, os.path.join(DIR, "port"))
server.serve_forever()
