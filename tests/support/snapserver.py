#!/usr/bin/env python3
"""A camera's snapshot URL for tests: serves one JPEG file on loopback behind
HTTP digest authentication (RFC 7616, MD5, qop=auth), checked for real: the
nonce must be one this server issued, the URI must be the request's, and the
response must be the digest of the configured user and password.

usage: snapserver.py PORT_FILE JPEG USER PASSWORD [DELAY_S]
Binds 127.0.0.1 on a free port and writes it to PORT_FILE. GET /stats
(unauthenticated) answers "<pictures served> <requests refused>"."""
import hashlib
import http.server
import os
import re
import secrets
import sys
import threading
import time

REALM = "IP Camera(ordercam-test)"


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class State:
    def __init__(self, jpeg, user, password, delay):
        self.jpeg = jpeg
        self.user = user
        self.password = password
        self.delay = delay
        self.nonces = set()
        self.served = 0
        self.refused = 0
        self.lock = threading.Lock()


def parse_auth(header):
    if not header or not header.startswith("Digest "):
        return None
    fields = {}
    for m in re.finditer(r'(\w+)=("([^"]*)"|[^,\s]*)', header[7:]):
        fields[m.group(1)] = m.group(3) if m.group(3) is not None else m.group(2)
    return fields


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as cameras do

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        st = self.server.state
        f = parse_auth(self.headers.get("Authorization"))
        if not f:
            return False
        need = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(k not in f for k in need):
            return False
        with st.lock:
            known = f["nonce"] in st.nonces
        if not known or f["realm"] != REALM or f["uri"] != self.path or f["qop"] != "auth":
            return False
        if f["username"] != st.user:
            return False
        ha1 = md5(f"{st.user}:{REALM}:{st.password}")
        ha2 = md5(f"{self.command}:{f['uri']}")
        want = md5(f"{ha1}:{f['nonce']}:{f['nc']}:{f['cnonce']}:auth:{ha2}")
        return secrets.compare_digest(want, f["response"])

    def do_GET(self):
        st = self.server.state
        if self.path == "/stats":
            with st.lock:
                body = f"{st.served} {st.refused}\n".encode()
            self.send(200, body, "text/plain")
            return
        if not self.authorized():
            nonce = secrets.token_hex(16)
            with st.lock:
                st.nonces.add(nonce)
                st.refused += 1
            challenge = f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'
            self.send(401, b"unauthorized\n", "text/plain", [("WWW-Authenticate", challenge)])
            return
        if st.delay:
            time.sleep(st.delay)
        with st.lock:
            st.served += 1
        self.send(200, st.jpeg, "image/jpeg")


def main():
    port_file, jpeg_path, user, password = sys.argv[1:5]
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    with open(jpeg_path, "rb") as f:
        jpeg = f.read()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(jpeg, user, password, delay)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
