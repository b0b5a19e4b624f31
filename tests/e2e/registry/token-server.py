#!/usr/bin/env python3
"""A bearer token server for docker-registry's "token" auth, for the tests.

    token-server.py PORT KEY CERT ISSUER USER PASSWORD LOG

GET /token?service=S&scope=repository:NAME:ACTIONS...: with Basic USER:PASSWORD
it grants every action asked for; anonymous, it grants "pull" only on
repositories whose name starts with "public/"; wrong credentials get a 401.
Tokens are JWTs signed RS256 (with the openssl CLI) carrying the signing
certificate in "x5c", which the registry checks against its rootcertbundle.
Each request is logged to LOG as one JSON line (scopes, service, account, who).
"""
import base64
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

port, key, cert, issuer, user, password, log = sys.argv[1:8]

with open(cert) as f:
    pem = f.read()
der_b64 = "".join(l for l in pem.splitlines() if l and "-----" not in l)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        who = "anonymous"
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                u, p = "", ""
            who = "user" if (u, p) == (user, password) else "bad"
        with open(log, "a") as f:
            f.write(json.dumps({"path": url.path, "service": q.get("service", [""])[0],
                                "scope": q.get("scope", []), "account": q.get("account", [""])[0],
                                "who": who}) + "\n")
        if url.path != "/token":
            self.send_error(404)
            return
        if who == "bad":
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"details":"incorrect username or password"}')
            return
        access = []
        for scope in q.get("scope", []):
            parts = scope.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
            if who == "anonymous":
                actions = [a for a in actions if a == "pull" and name.startswith("public/")]
            access.append({"type": "repository", "name": name, "actions": actions})
        now = int(time.time())
        token = sign({"iss": issuer, "sub": u if who == "user" else "", "aud": q.get("service", [""])[0],
                      "exp": now + 300, "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(),
                      "access": access})
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300,
                           "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
