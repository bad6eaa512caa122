# Sourced by integration tests: a real mosquitto on a free loopback port,
# with a generated config (no system service), persistence in $WORK.
# start_broker [extra config lines...] sets BROKER_PORT and BROKER_PID.

free_port() {
    # a port nobody listens on, below Linux's ephemeral range (32768-60999)
    # so that outgoing connections and port-0 listeners cannot take it
    while :; do
        p=$(( (($(od -An -N2 -tu2 /dev/urandom) % 12000)) + 20000 ))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# Another process may take the port between the check and the bind: then
# the broker exits at once and another port is tried (a fixed BROKER_PORT,
# as for a broker restart, is retried as is).
start_broker() {
    local tries=0 fixed=${BROKER_PORT:-}
    while :; do
        BROKER_PORT=${fixed:-$(free_port)}
        start_broker_once "$@" && return 0
        tries=$((tries + 1))
        [ $tries -lt 10 ] || { cat "$WORK/mosquitto.log"; return 1; }
        sleep 0.2
    done
}

start_broker_once() {
    {
        echo "listener $BROKER_PORT 127.0.0.1"
        echo "allow_anonymous true"
        echo "user $(id -un)"   # as root, mosquitto would switch to a user that cannot write $WORK
        echo "persistence true"
        echo "persistence_location $WORK/"
        echo "autosave_interval 30"
        echo "max_queued_messages 0"
        echo "max_inflight_messages 0"
        for line in "$@"; do echo "$line"; done
    } >"$WORK/mosquitto.conf"
    mosquitto -c "$WORK/mosquitto.conf" >>"$WORK/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    local i=0
    while ! (exec 3<>/dev/tcp/127.0.0.1/$BROKER_PORT) 2>/dev/null; do
        kill -0 "$BROKER_PID" 2>/dev/null || { BROKER_PID=; return 1; } # port taken
        i=$((i + 1))
        [ $i -lt 100 ] || return 1
        sleep 0.05
    done
    # listening, but is it ours?
    kill -0 "$BROKER_PID" 2>/dev/null || { BROKER_PID=; return 1; }
}

stop_broker() {
    [ -n "${BROKER_PID:-}" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
    BROKER_PID=
}
