# Sourced by integration tests and scripts: every wait polls its condition
# with a time limit, so that a busy machine only makes a test slower, never
# changes its verdict.
# wait_for LIMIT_S CMD [ARGS...]: runs CMD every 0.1 s until it succeeds;
# returns 0 then, 1 once LIMIT_S seconds have passed without success.
wait_for() {
    local limit=$1 end
    shift
    end=$(($(date +%s) + limit))
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}
