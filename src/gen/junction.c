/* The bench's junction cameras (junction.h, docs/bench.md). */
#include "junction.h"

#include <inttypes.h>
#include <math.h>

void gen_jb_signals(FILE *s, int c, bool first)
{
    fprintf(s, "%s{\"id\": \"sig-%03d\"}, {\"id\": \"sig-%03d-l\"}, {\"id\": \"sig-%03d-p\"}",
            first ? "" : ", ", c, c, c);
}

void gen_jb_camera(FILE *s, int c, bool last)
{
    fprintf(
        s,
        "    {\"id\": \"cam-%03d\", \"width\": 1920, \"height\": 1080, \"road\": \"Road %d\", "
        "\"unit\": \"Brigade %d\",\n"
        "     \"zones\": [\n"
        "       {\"id\": \"road\", \"kind\": \"carriageway\", \"polygon\": "
        "[[0,250],[1920,250],[1920,750],[0,750]]},\n"
        "       {\"id\": \"cw\", \"kind\": \"crosswalk\", \"polygon\": "
        "[[1000,240],[1150,240],[1150,760],[1000,760]]},\n"
        "       {\"id\": \"lane\", \"kind\": \"lane\", \"polygon\": "
        "[[0,500],[1920,500],[1920,750],[0,750]], \"direction\": [1,0]},\n"
        "       {\"id\": \"np\", \"kind\": \"no_parking\", \"polygon\": "
        "[[100,800],[700,800],[700,1000],[100,1000]]},\n"
        "       {\"id\": \"tp\", \"kind\": \"tactile_paving\", \"polygon\": "
        "[[800,900],[1800,900],[1800,960],[800,960]]},\n"
        "       {\"id\": \"gl-left\", \"kind\": \"guide_lane\", \"polygon\": "
        "[[500,250],[900,250],[900,375],[500,375]], \"stop_line\": \"stop\", "
        "\"movements\": [\"left\", \"uturn\"]},\n"
        "       {\"id\": \"gl-straight\", \"kind\": \"guide_lane\", \"polygon\": "
        "[[500,376],[900,376],[900,624],[500,624]], \"stop_line\": \"stop\", "
        "\"movements\": [\"straight\"]},\n"
        "       {\"id\": \"gl-right\", \"kind\": \"guide_lane\", \"polygon\": "
        "[[500,625],[900,625],[900,750],[500,750]], \"stop_line\": \"stop\", "
        "\"movements\": [\"right\"]},\n"
        "       {\"id\": \"wa\", \"kind\": \"waiting_area\", \"polygon\": "
        "[[1160,250],[1400,250],[1400,375],[1160,375]], \"stop_line\": \"stop\", "
        "\"front_line\": \"wa-front\", \"entry_signal\": \"sig-%03d\", \"movement\": \"left\"}],\n"
        "     \"lines\": [\n"
        "       {\"id\": \"stop\", \"kind\": \"stop_line\", \"points\": [[900,250],[900,750]], "
        "\"direction\": [1,0], \"signal\": \"sig-%03d\", \"movements\": [\n"
        "         {\"name\": \"straight\", \"exit_lines\": [\"exit\"]},\n"
        "         {\"name\": \"left\", \"exit_lines\": [\"exit-l\"], \"signal\": \"sig-%03d-l\"},\n"
        "         {\"name\": \"right\", \"exit_lines\": [\"exit-r\"]},\n"
        "         {\"name\": \"uturn\", \"exit_lines\": [\"exit-u\"], \"forbidden\": true}]},\n"
        "       {\"id\": \"wa-front\", \"kind\": \"stop_line\", \"points\": "
        "[[1400,250],[1400,375]], "
        "\"direction\": [1,0], \"signal\": \"sig-%03d-l\", \"exit_lines\": [\"exit-l\"]},\n"
        "       {\"id\": \"exit\", \"kind\": \"exit_line\", \"points\": [[1500,250],[1500,750]], "
        "\"direction\": [1,0]},\n"
        "       {\"id\": \"exit-l\", \"kind\": \"exit_line\", \"points\": [[1000,240],[1900,240]], "
        "\"direction\": [0,-1]},\n"
        "       {\"id\": \"exit-r\", \"kind\": \"exit_line\", \"points\": [[1000,760],[1900,760]], "
        "\"direction\": [0,1]},\n"
        "       {\"id\": \"exit-u\", \"kind\": \"exit_line\", \"points\": [[850,10],[850,240]], "
        "\"direction\": [-1,0]},\n"
        "       {\"id\": \"solid-1\", \"kind\": \"solid_line\", \"points\": "
        "[[500,375],[880,375]]},\n"
        "       {\"id\": \"solid-2\", \"kind\": \"solid_line\", \"points\": "
        "[[500,625],[880,625]]},\n"
        "       {\"id\": \"yield\", \"kind\": \"yield_line\", \"points\": [[990,250],[990,750]], "
        "\"direction\": [1,0], \"crosswalk\": \"cw\", \"signal\": \"sig-%03d-p\"}]}%s\n",
        c, c / 4, c % 4, c, c, c, c, c, last ? "" : ",");
}

void gen_jb_heartbeats(FILE *log, int64_t t0, int c, int64_t ms, bool round_green)
{
    /* The left arrow is green for 10 s after the round green; pedestrians
     * cross while the round signal is red. */
    double s = fmod((double)ms / 1000.0, 60);
    bool left_green = s >= 30 && s < 40;
    fprintf(log,
            "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/signals/sig-%03d-l\","
            "\"payload\":{\"ts\":%" PRId64 ",\"state\":\"%s\"}}\n",
            t0 + ms + 1, c, t0 + ms, left_green ? "green" : "red");
    fprintf(log,
            "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/signals/sig-%03d-p\","
            "\"payload\":{\"ts\":%" PRId64 ",\"state\":\"%s\"}}\n",
            t0 + ms + 1, c, t0 + ms, round_green ? "red" : "green");
}
