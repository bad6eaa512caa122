# Sourced by scripts and tests: builds configs from the sample scene with jq
# instead of editing its text.
# scene_jq SCENE FILTER [JQ ARGS...]: prints SCENE (the edge config format,
# comments allowed) transformed by the jq FILTER. Comments are removed with
# perl (an essential Debian package): // at the start of a line and /* */.
scene_jq() {
    local scene=$1 filter=$2
    shift 2
    perl -0pe 's{/\*.*?\*/}{}gs; s{^\s*//[^\n]*}{}mg' "$scene" | jq "$@" "$filter"
}
