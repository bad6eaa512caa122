# Sourced by integration tests: a real mosquitto on a free loopback port,
# with a generated config (no system service), persistence in $WORK.
# start_broker [extra config lines...] sets BROKER_PORT and BROKER_PID.

free_port() {
    # a port nobody listens on, from the ephemeral range
    while :; do
        p=$(( (($(od -An -N2 -tu2 /dev/urandom) % 20000)) + 30000 ))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

start_broker() {
    : "${BROKER_PORT:=$(free_port)}"
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
    i=0
    while ! (exec 3<>/dev/tcp/127.0.0.1/$BROKER_PORT) 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 100 ] || { cat "$WORK/mosquitto.log"; return 1; }
        sleep 0.05
    done
}

stop_broker() {
    [ -n "${BROKER_PID:-}" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
    BROKER_PID=
}
