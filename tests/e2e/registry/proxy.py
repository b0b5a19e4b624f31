#!/usr/bin/env python3
"""An HTTP proxy in front of a test registry, to misbehave on purpose.

    proxy.py PORT UPSTREAM_PORT MODE LOG [ARG]

Every request is forwarded to 127.0.0.1:UPSTREAM_PORT and logged to LOG as
"METHOD PATH RANGE" lines.  Blob GETs (/v2/.../blobs/sha256:...) misbehave
by MODE:
  pass          nothing
  corrupt       ARG = a digest: that blob's bytes are changed (same length)
  cut           the first GET of each blob ends the connection after ARG
                bytes (Range requests that resume it are served)
  slow          blob bodies are sent at ARG bytes per second
"""
import http.client
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, mode, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
arg = sys.argv[5] if len(sys.argv) > 5 else ""
seen = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        rng = self.headers.get("Range", "")
        with open(log, "a") as f:
            f.write(f"{self.command} {self.path} {rng}\n")
        conn = http.client.HTTPConnection("127.0.0.1", upstream)
        # header by header: clients send several Accept headers
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"127.0.0.1:{port}")
        for k, v in self.headers.items():
            if k.lower() not in ("host", "connection"):
                conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read() if self.command != "HEAD" else b""
        blob = "/blobs/sha256:" in self.path and self.command == "GET" and resp.status in (200, 206)
        digest = self.path.rsplit("/", 1)[-1]
        cut_at = None
        if blob and mode == "corrupt" and digest == arg and data:
            data = bytes(b ^ 0xFF for b in data[:64]) + data[64:]
        if blob and mode == "cut" and digest not in seen and not rng:
            seen.add(digest)
            cut_at = int(arg)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding"):
                continue
            if k.lower() == "location":
                v = v.replace(f"127.0.0.1:{upstream}", f"127.0.0.1:{port}")
            self.send_header(k, v)
        self.end_headers()
        if cut_at is not None:
            self.wfile.write(data[:cut_at])
            self.wfile.flush()
            self.close_connection = True
            return
        if blob and mode == "slow":
            rate = int(arg)
            for i in range(0, len(data), max(rate // 10, 1)):
                self.wfile.write(data[i:i + max(rate // 10, 1)])
                self.wfile.flush()
                time.sleep(0.1)
            return
        self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
