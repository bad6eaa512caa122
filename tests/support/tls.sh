# Sourced by integration tests that speak HTTPS: certificates made now, and
# ordercam-central started over them. Needs tests/support/wait.sh (every
# wait polls with a limit) and $bin, the build folder with ordercam-central.
#
# tls_certs [DIR]: a test CA (ca.key, ca.pem) and a server certificate it
#   signs for localhost and 127.0.0.1 (server.key, server.pem) in DIR
#   (default: the current folder); sets TLS_DIR to DIR's absolute path.
# tls_ca KEY PEM CN: another self-signed CA (an unknown one, for refusals).
# tls_self_signed KEY CERT: one self-signed certificate for localhost and
#   127.0.0.1, its own CA (clients trust CERT).
# central_config FILE PORT: central's config listening on 127.0.0.1:PORT
#   over TLS_DIR's server certificate, with the members read from stdin
#   ("db", "tokens", ...: the text after "tls"'s comma).
# central_start CONFIG PORT [LOG]: ordercam-central -c CONFIG in the
#   background (output appended to LOG, default central.log); sets CPID;
#   returns 0 once PORT accepts connections, 1 if central exits first or
#   60 s pass.
# central_stop: stops CPID's central (SIGTERM) and waits for it.
# port_open PORT: whether something accepts connections on 127.0.0.1:PORT.

tls_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1" -out "$2" -days 2 -subj "/CN=$3" \
        >/dev/null 2>&1
}

tls_certs() {
    local dir=${1:-.}
    mkdir -p "$dir"
    TLS_DIR=$(cd "$dir" && pwd)
    (
        cd "$TLS_DIR" &&
            tls_ca ca.key ca.pem 'test CA' &&
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
                -subj '/CN=localhost' >/dev/null 2>&1 &&
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                -out server.pem -days 2 -extfile san.ext >/dev/null 2>&1
    )
}

tls_self_signed() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1" -out "$2" -days 2 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
}

central_config() {
    {
        printf '{"listen": "127.0.0.1:%s", "tls": {"cert_file": "%s", "key_file": "%s"},\n' \
            "$2" "$TLS_DIR/server.pem" "$TLS_DIR/server.key"
        cat
        echo '}'
    } >"$1"
}

port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# up, or gone (no use waiting longer)
central_up_or_gone() { port_open "$1" || ! kill -0 "$CPID" 2>/dev/null; }

central_start() {
    "$bin/ordercam-central" -c "$1" >>"${3:-central.log}" 2>&1 &
    CPID=$!
    wait_for 60 central_up_or_gone "$2" && port_open "$2"
}

central_stop() {
    kill "$CPID"
    wait "$CPID" || true
    CPID=
}
