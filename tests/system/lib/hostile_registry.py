#!/usr/bin/env python3
"""A hostile Distribution v2 registry for 200-hostile.bats, on loopback only.

Usage: hostile_registry.py PORT OTHER-PORT LOGDIR

PORT is the registry; OTHER-PORT stands for another host that blobs are
redirected to. Every request is logged to LOGDIR/requests.log as
"PORT METHOD PATH AUTHORIZATION-PRESENT". The registry asks for Basic auth
(any user and password pass); the other host asks for nothing.

Repositories, each one way of lying (tag "latest"):
  endless        the layer's body never ends (no Content-Length)
  long           the layer's Content-Length is larger than its descriptor says
  wrong-layer    the layer's bytes are not those its digest names
  wrong-manifest by digest, the manifest sent is another one (pull @DIGEST,
                 see LOGDIR/wrong-manifest.digest)
  big-manifest   a manifest of 5 MiB
  endless-error  the manifest's answer is a 404 whose body never ends
  redirect       the layer redirects to the other host, which sends other bytes
  redirect-ok    the layer redirects to the other host, which sends the right bytes
  redirect-file  the layer redirects to file:///etc/passwd
  redirect-loop  the layer redirects to itself, without end
"""
import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import socketserver
import sys
import tarfile
import threading

PORT, OTHER, LOGDIR = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
LOCK = threading.Lock()


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer_tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = b"from the hostile registry\n"
        info = tarfile.TarInfo("hello")
        info.size, info.mtime, info.mode = len(data), 1700000000, 0o644
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


TAR = layer_tar()
LAYER = gzip.compress(TAR, mtime=0)
OTHER_LAYER = gzip.compress(TAR + b"\0" * 512, mtime=0)  # another blob, same tar
CONFIG = json.dumps({
    "architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello"]},
    "rootfs": {"type": "layers", "diff_ids": [digest(TAR)]},
}).encode()


def manifest(layer_digest=digest(LAYER), layer_size=len(LAYER), note=""):
    m = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(CONFIG), "size": len(CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": layer_size}],
    }
    if note:
        m["annotations"] = {"note": note}
    return json.dumps(m).encode()


MANIFESTS = {repo: manifest(note=repo) for repo in [
    "endless", "long", "wrong-layer", "redirect", "redirect-ok", "redirect-file", "redirect-loop"]}
WRONG = manifest(note="the one asked for")
MANIFESTS["wrong-manifest"] = WRONG
with open(os.path.join(LOGDIR, "wrong-manifest.digest"), "w") as f:
    f.write(digest(WRONG))
BIG = manifest(note="x" * (5 << 20))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        port = self.server.server_address[1]
        with LOCK, open(os.path.join(LOGDIR, "requests.log"), "a") as log:
            log.write(f"{port} {self.command} {self.path} {'auth' if self.headers.get('Authorization') else '-'}\n")
        if port == OTHER:
            return self.other_host()
        if not self.headers.get("Authorization", "").startswith("Basic "):
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                             headers=[("WWW-Authenticate", 'Basic realm="hostile"')])
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["v2"]:
            return self.send(200, b"{}")
        if len(parts) < 4 or parts[0] != "v2":
            return self.send(404)
        repo, kind, ref = "/".join(parts[1:-2]), parts[-2], parts[-1]
        if kind == "manifests":
            return self.manifest(repo, ref)
        if kind == "blobs":
            return self.blob(repo, ref)
        self.send(404)

    def endless(self, status):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            chunk = b"\0" * 65536
            for _ in range(1 << 16):  # 4 GiB: endless for what it answers
                self.wfile.write(chunk)
        except OSError:
            pass

    def manifest(self, repo, ref):
        mt = "application/vnd.oci.image.manifest.v1+json"
        if repo == "endless-error":
            return self.endless(404)
        if repo == "big-manifest":
            return self.send(200, BIG, mt)
        if repo == "wrong-manifest" and ref.startswith("sha256:"):
            return self.send(200, manifest(note="another one"), mt)
        body = MANIFESTS.get(repo)
        if body is None:
            return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
        self.send(200, body, mt, [("Docker-Content-Digest", digest(body))])

    def blob(self, repo, ref):
        if ref == digest(CONFIG):
            return self.send(200, CONFIG, "application/octet-stream")
        if ref != digest(LAYER):
            return self.send(404)
        if repo == "endless":
            return self.endless(200)
        if repo == "long":
            return self.send(200, LAYER + b"\0" * 100000, "application/octet-stream")
        if repo == "wrong-layer":
            return self.send(200, OTHER_LAYER[:len(LAYER)], "application/octet-stream")
        if repo.startswith("redirect"):
            where = {
                "redirect": f"http://127.0.0.1:{OTHER}/storage/other?sig=1",
                "redirect-ok": f"http://127.0.0.1:{OTHER}/storage/right?sig=1",
                "redirect-file": "file:///etc/passwd",
                "redirect-loop": f"http://127.0.0.1:{PORT}{self.path}",
            }[repo]
            return self.send(307, b"", headers=[("Location", where)])
        self.send(200, LAYER, "application/octet-stream")

    def other_host(self):
        if self.path.startswith("/storage/right"):
            return self.send(200, LAYER, "application/octet-stream")
        if self.path.startswith("/storage/other"):
            return self.send(200, OTHER_LAYER[:len(LAYER)], "application/octet-stream")
        self.send(404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


servers = [Server(("127.0.0.1", p), Handler) for p in (PORT, OTHER)]
threading.Thread(target=servers[1].serve_forever, daemon=True).start()
servers[0].serve_forever()
