/* Generators of event logs. The sample scenario is a script of actors with
 * waypoints, each meant to exercise one rule (or to be innocent), plus
 * seeded background traffic that never breaks a rule. */
#include "gen.h"
#include "junction.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    /* xorshift64*: small, fast, and the same on every machine */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static int rng_int(struct rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

struct wp {
    double t, x, y; /* seconds from T0, anchor (bottom-centre) in pixels */
};

#define MAX_WP 6

struct actor {
    const char *cam;
    char id[24];
    const char *cls;
    double w, h;
    struct wp wp[MAX_WP];
    int n_wp;
    const char *plate;
    const char *helmet; /* pattern of T/F cycled per observation, NULL: no attr */
    const char *expect; /* violation type the manifest expects, NULL: none */
    double expect_ts, expect_start, tol;
    double jitter; /* x alternates by +-jitter px between observations */
};

static int actor_pos(const struct actor *a, double t, double *x, double *y)
{
    if (t < a->wp[0].t - 1e-9 || t > a->wp[a->n_wp - 1].t + 1e-9)
        return 0;
    for (int i = 1; i < a->n_wp; i++) {
        const struct wp *p = &a->wp[i - 1], *q = &a->wp[i];
        if (t <= q->t + 1e-9) {
            double f = q->t > p->t ? (t - p->t) / (q->t - p->t) : 1.0;
            *x = p->x + f * (q->x - p->x);
            *y = p->y + f * (q->y - p->y);
            return 1;
        }
    }
    *x = a->wp[a->n_wp - 1].x;
    *y = a->wp[a->n_wp - 1].y;
    return 1;
}

/* Appends one object to buf; returns the new length. */
static size_t put_object(char *buf, size_t len, size_t cap, const struct actor *a, int *obs,
                         double ax, double ay, int first, struct rng *r, struct gen_obj *drawn)
{
    double noise = (double)rng_int(r, -1, 1);
    ax += (*obs % 2 ? a->jitter : -a->jitter);
    double x = round(ax - a->w / 2), y = round(ay - a->h + noise);
    *drawn = (struct gen_obj){{x, y, a->w, a->h}, a->cls, a->plate};
    int n =
        snprintf(buf + len, cap - len,
                 "%s{\"id\":\"%s\",\"class\":\"%s\",\"box\":[%.0f,%.0f,%.0f,%.0f],\"conf\":%.2f",
                 first ? "" : ",", a->id, a->cls, x, y, a->w, a->h, 0.75 + 0.2 * rng_unit(r));
    len += (size_t)n;
    if (a->plate || a->helmet) {
        len += (size_t)snprintf(buf + len, cap - len, ",\"attrs\":{");
        if (a->plate) {
            /* every seventh read misses a digit, as real plate readers do */
            const char *plate = (*obs % 7 == 3) ? "晋E1?345" : a->plate;
            len += (size_t)snprintf(buf + len, cap - len, "\"plate\":\"%s\"", plate);
        }
        if (a->helmet) {
            char h = a->helmet[*obs % (int)strlen(a->helmet)];
            len += (size_t)snprintf(buf + len, cap - len, "%s\"helmet\":%s", a->plate ? "," : "",
                                    h == 'T' ? "true" : "false");
        }
        len += (size_t)snprintf(buf + len, cap - len, "}");
    }
    len += (size_t)snprintf(buf + len, cap - len, "}");
    (*obs)++;
    return len;
}

/* ---------------- the sample scenario ---------------- */

#define CAR 160, 110
#define TRUCK 260, 180
#define EBIKE 60, 130
#define MOTO 70, 130
#define PERSON 40, 120
#define STALL 200, 150
#define CART 80, 80

/* Scripted actors; times in seconds from T0. cam-e1 frames fall at .05 s
 * offsets so that crossings at whole tenths land between two frames. */
static const struct actor script[] = {
    /* red light: crosses the stop line 5 s into red, exits 3 s later */
    {"cam-e1",
     "e-101",
     "car",
     CAR,
     {{31, 100, 450}, {39.5, 1800, 450}},
     2,
     "晋E12345",
     NULL,
     "red_light",
     38.0,
     35.0,
     0},
    /* green: nothing */
    {"cam-e1",
     "e-102",
     "car",
     CAR,
     {{6, 100, 450}, {14.5, 1800, 450}},
     2,
     "晋A77777",
     NULL,
     NULL,
     0,
     0,
     0},
    /* stops just past the line on red: stop_line_crossing exit_s later */
    {"cam-e1",
     "e-103",
     "car",
     CAR,
     {{91, 100, 450}, {95, 900, 450}, {95.3, 960, 450}, {121, 960, 450}, {125.2, 1800, 450}},
     5,
     "晋E67890",
     NULL,
     "stop_line_crossing",
     105.0,
     95.0,
     0},
    /* 0.1 s after onset with grace 0.2: no violation */
    {"cam-e1",
     "e-104",
     "car",
     CAR,
     {{146.1, 100, 450}, {154.6, 1800, 450}},
     2,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* exactly 0.2 s after onset: a violation (grace is "at least") */
    {"cam-e1",
     "e-105",
     "car",
     CAR,
     {{206.2, 100, 450}, {214.7, 1800, 450}},
     2,
     "晋K55555",
     NULL,
     "red_light",
     213.2,
     210.2,
     0},
    /* crosses on red, lost by the tracker before the exit: unconfirmed */
    {"cam-e1",
     "e-106",
     "truck",
     TRUCK,
     {{36, 100, 450}, {42, 1300, 450}},
     2,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* e-bike through red, with helmet */
    {"cam-e1",
     "e-107",
     "ebike",
     EBIKE,
     {{37, 100, 480}, {55, 1900, 480}},
     2,
     NULL,
     "T",
     "nonmotor_red_light",
     51.0,
     45.0,
     0},
    /* e-bike without helmet on green: no_helmet */
    {"cam-e1",
     "e-108",
     "ebike",
     EBIKE,
     {{60, 100, 470}, {75, 1600, 470}},
     2,
     NULL,
     "FFTTF",
     "no_helmet",
     60.45,
     60.05,
     0},
    /* motorcycle, helmet missing in one read of five: nothing */
    {"cam-e1",
     "e-109",
     "motorcycle",
     MOTO,
     {{62, 100, 430}, {70, 1700, 430}},
     2,
     NULL,
     "TTTTF",
     NULL,
     0,
     0,
     0},
    /* pedestrian steps off the kerb into the crosswalk on red */
    {"cam-e1",
     "e-110",
     "person",
     PERSON,
     {{65, 1075, 145}, {75, 1075, 845}},
     2,
     NULL,
     NULL,
     "pedestrian_red_light",
     66.5,
     66.5,
     0.05},
    /* the same on green: nothing */
    {"cam-e1",
     "e-111",
     "person",
     PERSON,
     {{35, 1100, 145}, {45, 1100, 845}},
     2,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* crosses the road away from the crosswalk */
    {"cam-e1",
     "e-112",
     "person",
     PERSON,
     {{100, 400, 150}, {110, 400, 850}},
     2,
     NULL,
     NULL,
     "jaywalking",
     102.9,
     101.5,
     0.1},
    /* drives west in the eastbound lane */
    {"cam-e1",
     "e-113",
     "car",
     CAR,
     {{130, 1800, 650}, {138.5, 100, 650}},
     2,
     "晋B24680",
     NULL,
     "wrong_way",
     130.4,
     130.0,
     0.1},
    /* stops on the stop line on red, its box jittering back and forth over
     * it, then leaves on green: one stop_line_crossing, not several */
    {"cam-e1",
     "e-114",
     "car",
     CAR,
     {{272, 700, 450}, {273, 900, 450}, {300, 900, 450}, {304.5, 1800, 450}},
     4,
     NULL,
     NULL,
     "stop_line_crossing",
     283.0,
     273.0,
     0.1,
     5},
    /* parks; the tracker loses it and re-numbers it s-202: one violation */
    {"cam-s1",
     "s-201",
     "car",
     CAR,
     {{17, 1000, 800}, {20, 400, 800}, {100, 400, 800}},
     3,
     "晋E12345",
     NULL,
     NULL,
     0,
     0,
     0},
    {"cam-s1",
     "s-202",
     "car",
     CAR,
     {{101, 402, 801}, {260, 402, 801}, {263, 1000, 801}},
     3,
     "晋E12345",
     NULL,
     "illegal_parking",
     200.0,
     20.0,
     0.5},
    /* leaves after 179 s: nothing */
    {"cam-s1",
     "s-203",
     "car",
     CAR,
     {{28, 100, 700}, {29.5, 250, 700}, {208.5, 250, 700}, {212, 900, 700}},
     4,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* an e-bike left on the tactile paving */
    {"cam-s1",
     "s-204",
     "ebike",
     EBIKE,
     {{58, 1000, 1060}, {60, 1000, 930}, {100, 1000, 930}, {102, 1000, 1060}},
     4,
     NULL,
     NULL,
     "tactile_paving_occupied",
     90.0,
     60.0,
     0.3},
    /* a person standing on the tactile paving is no violation */
    {"cam-s1",
     "s-205",
     "person",
     PERSON,
     {{120, 1400, 930}, {200, 1400, 930}},
     2,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* a vendor stall set up in the no-vending zone */
    {"cam-s1",
     "s-206",
     "vendor_stall",
     STALL,
     {{10, 1500, 700}, {340, 1500, 700}},
     2,
     NULL,
     NULL,
     "street_vending",
     310.0,
     10.0,
     0},
    /* a cart passing through it */
    {"cam-s1",
     "s-207",
     "cart",
     CART,
     {{50, 1100, 700}, {58, 1900, 700}},
     2,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* ---- cam-j1: the junction (overhead; docs/violations.md "Junctions").
     * Eastbound lanes y 540..740 (guide lanes: left+uturn y 573, straight
     * y 640, right y 707) over stop-e x = 600; westbound y 340..540 over
     * stop-w x = 1320. cam-j1 frames fall at whole tenths; crossings are
     * placed between them. */
    /* leaves its right-turn lane over a solid line into the straight lane,
     * then straight on green: solid_line_crossing only */
    {"cam-j1",
     "j-306",
     "car",
     CAR,
     {{5.02, 100, 707}, {7.02, 350, 707}, {8.02, 450, 640}, {10.52, 1300, 640}},
     4,
     "晋E30601",
     NULL,
     "solid_line_crossing",
     8.6,
     7.5,
     0.1},
    /* U-turn on green where U-turns are forbidden: illegal_uturn */
    {"cam-j1",
     "j-305",
     "car",
     CAR,
     {{66.02, 200, 573},
      {70.02, 600, 573},
      {71.52, 860, 573},
      {72.52, 860, 440},
      {74.52, 500, 440}},
     5,
     "晋E30501",
     NULL,
     "illegal_uturn",
     73.2,
     70.0,
     0.1},
    /* right turn on the round red, no right arrow: free, counted
     * free_right_on_red, no violation */
    {"cam-j1",
     "j-301",
     "car",
     CAR,
     {{91.02, 200, 707}, {96.02, 700, 707}, {97.02, 820, 740}, {98.52, 860, 900}},
     4,
     "晋E30101",
     NULL,
     NULL,
     0,
     0,
     0},
    /* westbound right turn against its red right arrow: red_light */
    {"cam-j1",
     "j-302",
     "car",
     CAR,
     {{150.02, 1800, 373}, {154.82, 1240, 373}, {155.82, 1120, 330}, {157.02, 1080, 200}},
     4,
     "晋E30201",
     NULL,
     "red_light",
     155.9,
     154.1,
     0.1},
    /* free right turn on red through a pedestrian walking towards its path
     * (the near half) on the pedestrians' green: fail_to_yield */
    {"cam-j1",
     "j-307",
     "car",
     CAR,
     {{156.02, 200, 707}, {161.02, 700, 707}, {162.02, 820, 740}, {163.52, 860, 900}},
     4,
     "晋E30701",
     NULL,
     "fail_to_yield",
     161.2,
     160.2,
     0.1},
    {"cam-j1",
     "j-308",
     "person",
     PERSON,
     {{154.02, 680, 300}, {163.02, 680, 750}},
     2,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* into the left-turn waiting area on the round green, over its front
     * line on the left arrow's green: nothing */
    {"cam-j1",
     "j-303",
     "car",
     CAR,
     {{196.02, 200, 573},
      {200.02, 600, 573},
      {202.52, 860, 573},
      {211.02, 860, 573},
      {212.02, 960, 540},
      {214.02, 1000, 250}},
     6,
     "晋E30301",
     NULL,
     NULL,
     0,
     0,
     0},
    /* free right turn on red with a pedestrian already past its path
     * (walking away from it): nothing */
    {"cam-j1",
     "j-309",
     "car",
     CAR,
     {{216.02, 200, 707}, {221.02, 700, 707}, {222.02, 820, 740}, {223.52, 860, 900}},
     4,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    {"cam-j1",
     "j-310",
     "person",
     PERSON,
     {{216.02, 700, 780}, {226.02, 700, 300}},
     2,
     NULL,
     NULL,
     NULL,
     0,
     0,
     0},
    /* into the waiting area while the round signal and the left arrow are
     * both red: red_light at the stop line at once */
    {"cam-j1",
     "j-304",
     "car",
     CAR,
     {{286.02, 200, 573},
      {290.02, 600, 573},
      {292.52, 860, 573},
      {331.02, 860, 573},
      {332.02, 960, 540},
      {334.02, 1000, 250}},
     6,
     "晋E30401",
     NULL,
     "red_light",
     291.8,
     290.0,
     0.1},
    /* straight on green from the left-turn lane: wrong_lane_movement */
    {"cam-j1",
     "j-311",
     "car",
     CAR,
     {{311.02, 200, 573}, {315.02, 600, 573}, {316.02, 760, 640}, {318.02, 1300, 640}},
     4,
     "晋E31101",
     NULL,
     "wrong_lane_movement",
     317.6,
     315.0,
     0.1},
};

#define N_SCRIPT (sizeof script / sizeof *script)
#define MAX_ACTORS 256
#define DURATION_S 360

enum sig { GREEN, YELLOW, RED };

static enum sig straight_at(double t)
{
    double ph = fmod(t, 60.0);
    return ph < 27 ? GREEN : ph < 30 ? YELLOW : RED;
}

static enum sig ped_at(double t)
{
    double ph = fmod(t, 60.0);
    return ph >= 30 && ph < 57 ? GREEN : RED;
}

/* cam-j1's left arrow (eastbound): green 30-42 s of each minute, after
 * the round green, yellow 42-45, red otherwise. Its round signal
 * (sig-j-ew) and the westbound right arrow (sig-j-wr) follow straight_at;
 * its pedestrians (sig-j-pw) ped_at. */
static enum sig left_arrow_at(double t)
{
    double ph = fmod(t, 60.0);
    return ph >= 30 && ph < 42 ? GREEN : ph >= 42 && ph < 45 ? YELLOW : RED;
}

static const char *sig_name(enum sig s)
{
    return s == GREEN ? "green" : s == YELLOW ? "yellow" : "red";
}

/* Background cars: cam-e1 eastbound crossing the stop line on green only;
 * cam-s1 along the road clear of every zone. */
static size_t background(struct actor *a, size_t n, struct rng *r)
{
    int k = 0;
    for (int cycle = 0; cycle < DURATION_S / 60; cycle++)
        for (double cross = cycle * 60 + 3; cross < cycle * 60 + 23 && n < MAX_ACTORS;
             cross += rng_int(r, 4, 7)) {
            struct actor *b = &a[n++];
            memset(b, 0, sizeof *b);
            b->cam = "cam-e1";
            snprintf(b->id, sizeof b->id, "%d",
                     9000 + k++); /* integer ids, as some trackers send */
            b->cls = rng_int(r, 0, 4) ? "car" : "bus";
            b->w = b->cls[0] == 'b' ? 300 : 160;
            b->h = b->cls[0] == 'b' ? 200 : 110;
            double y = 440 - rng_int(r, 0, 40);
            b->wp[0] = (struct wp){cross - 4, 100, y};
            b->wp[1] = (struct wp){cross + 4.5, 1800, y};
            b->n_wp = 2;
        }
    for (double t = 2; t < DURATION_S - 10 && n < MAX_ACTORS; t += rng_int(r, 3, 8)) {
        struct actor *b = &a[n++];
        memset(b, 0, sizeof *b);
        b->cam = "cam-s1";
        snprintf(b->id, sizeof b->id, "bg-s-%d", k++);
        b->cls = rng_int(r, 0, 5) ? "car" : "ebike";
        b->w = b->cls[0] == 'c' ? 160 : 60;
        b->h = b->cls[0] == 'c' ? 110 : 130;
        double speed = rng_int(r, 150, 250), y = 400 + rng_int(r, 0, 60);
        b->wp[0] = (struct wp){t, 50, y};
        b->wp[1] = (struct wp){t + 1800.0 / speed, 1850, y};
        b->n_wp = 2;
    }
    return n;
}

static int write_manifest(FILE *m, const struct actor *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!a[i].expect) {
            fprintf(m, "{\"camera\":\"%s\",\"track\":\"%s\",\"type\":null}\n", a[i].cam, a[i].id);
            continue;
        }
        fprintf(m, "{\"camera\":\"%s\",\"track\":\"%s\",\"type\":\"%s\"", a[i].cam, a[i].id,
                a[i].expect);
        if (a[i].tol >= 0)
            fprintf(m, ",\"ts\":%" PRId64 ",\"ts_start\":%" PRId64 ",\"tol_ms\":%.0f",
                    OC_GEN_T0 + (int64_t)llround(a[i].expect_ts * 1000),
                    OC_GEN_T0 + (int64_t)llround(a[i].expect_start * 1000), a[i].tol * 1000);
        fprintf(m, "}\n");
    }
    /* camera events */
    fprintf(m,
            "{\"camera\":\"cam-s1\",\"track\":\"p-1\",\"type\":\"littering\",\"ts\":%" PRId64
            ",\"ts_start\":%" PRId64 ",\"tol_ms\":0}\n",
            OC_GEN_T0 + 50000, OC_GEN_T0 + 50000);
    fprintf(m,
            "{\"camera\":\"cam-s1\",\"track\":\"p-2\",\"type\":\"spitting\",\"ts\":%" PRId64
            ",\"ts_start\":%" PRId64 ",\"tol_ms\":0}\n",
            OC_GEN_T0 + 80000, OC_GEN_T0 + 80000);
    fprintf(m, "{\"camera\":\"cam-s1\",\"track\":\"p-3\",\"type\":null}\n");
    fprintf(m,
            "{\"camera\":\"cam-s1\",\"track\":\"c-4\",\"type\":\"throwing_from_vehicle\","
            "\"ts\":%" PRId64 ",\"ts_start\":%" PRId64 ",\"tol_ms\":0}\n",
            OC_GEN_T0 + 150000, OC_GEN_T0 + 150000);
    return ferror(m) ? -1 : 0;
}

/* The sample's frames: one a second, and every analysed frame within
 * 1.5 s of a scripted violation's start or establishment, or of a camera
 * event, so that every key moment has a frame near it. */
static int frame_wanted(const struct actor *a, const char *cam, int64_t ms)
{
    if (ms % 1000 < 100)
        return 1;
    double t = ms / 1000.0;
    for (size_t i = 0; i < N_SCRIPT; i++)
        if (a[i].expect && strcmp(a[i].cam, cam) == 0 &&
            (fabs(t - a[i].expect_ts) <= 1.5 || fabs(t - a[i].expect_start) <= 1.5))
            return 1;
    static const double events[] = {50, 51, 80, 90, 150};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        if (strcmp(cam, "cam-s1") == 0 && fabs(t - events[i]) <= 1.5)
            return 1;
    return 0;
}

static int camera_frame(FILE *log, const struct actor *a, int *obs, size_t n, const char *cam,
                        int64_t ms, long frame, struct rng *r, struct gen_frames *frames)
{
    static char buf[1 << 16];
    static struct gen_obj drawn[MAX_ACTORS];
    size_t n_drawn = 0;
    size_t len =
        (size_t)snprintf(buf, sizeof buf,
                         "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/%s/detections\","
                         "\"payload\":{\"ts\":%" PRId64 ",\"frame\":%ld,\"objects\":[",
                         OC_GEN_T0 + ms + 5, cam, OC_GEN_T0 + ms, frame);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        double x, y;
        if (strcmp(a[i].cam, cam) != 0 || !actor_pos(&a[i], ms / 1000.0, &x, &y))
            continue;
        len = put_object(buf, len, sizeof buf, &a[i], &obs[i], x, y, first, r, &drawn[n_drawn++]);
        first = 0;
    }
    fprintf(log, "%.*s]}}\n", (int)len, buf);
    if (!frames || !frame_wanted(a, cam, ms))
        return 0;
    char rel[256];
    if (gen_frames_write(frames, cam, OC_GEN_T0 + ms, drawn, n_drawn, rel, sizeof rel) != 0)
        return -1;
    fprintf(log,
            "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/%s/frames/%" PRId64
            "\",\"payload_file\":\"%s\"}\n",
            OC_GEN_T0 + ms + 8, cam, OC_GEN_T0 + ms, rel);
    return 0;
}

static void camera_event(FILE *log, int64_t ms, const char *type, const char *id,
                         const char *obj_id, const char *cls)
{
    fprintf(log,
            "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/cam-s1/events\",\"payload\":"
            "{\"ts\":%" PRId64 ",\"type\":\"%s\"",
            OC_GEN_T0 + ms + 7, OC_GEN_T0 + ms, type);
    if (id)
        fprintf(log, ",\"id\":\"%s\"", id);
    fprintf(
        log,
        ",\"conf\":0.77,\"object\":{\"id\":\"%s\",\"class\":\"%s\",\"box\":[600,300,40,120]}}}\n",
        obj_id, cls);
}

/* Deliberately bad input: each must be counted and must change nothing. */
static void bad_messages(FILE *log, int64_t ms)
{
    if (ms == 12000)
        fprintf(log,
                "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/cam-e1/detections\","
                "\"payload_b64\":\"e25vdCBqc29u\"}\n",
                OC_GEN_T0 + ms + 1); /* "{not json" */
    if (ms == 13000)
        fprintf(log,
                "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/cam-x9/detections\","
                "\"payload\":{\"ts\":%" PRId64 ",\"objects\":[]}}\n",
                OC_GEN_T0 + ms + 1, OC_GEN_T0 + ms);
    if (ms == 14000)
        fprintf(log,
                "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/cam-e1/detections\","
                "\"payload\":{\"ts\":%" PRId64 ",\"objects\":[{\"id\":1,\"class\":\"car\","
                "\"box\":[10,10,-5,20]}]}}\n",
                OC_GEN_T0 + ms + 1, OC_GEN_T0 + ms);
    if (ms == 15000)
        fprintf(log, "this line is not JSON\n");
}

/* cam-j1's four signals at ms. */
static void junction_signals(FILE *log, int64_t ms)
{
    double t = ms / 1000.0;
    const struct {
        const char *id;
        enum sig state;
    } sig[] = {{"sig-j-ew", straight_at(t)},
               {"sig-j-el", left_arrow_at(t)},
               {"sig-j-wr", straight_at(t)},
               {"sig-j-pw", ped_at(t)}};
    for (size_t i = 0; i < sizeof sig / sizeof *sig; i++)
        fprintf(log,
                "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/signals/%s\","
                "\"payload\":{\"ts\":%" PRId64 ",\"state\":\"%s\"}}\n",
                OC_GEN_T0 + ms + 4, sig[i].id, OC_GEN_T0 + ms, sig_name(sig[i].state));
}

int oc_gen_sample(FILE *log, FILE *manifest, uint64_t seed, struct gen_frames *frames)
{
    static struct actor a[MAX_ACTORS];
    static int obs[MAX_ACTORS];
    memset(obs, 0, sizeof obs);
    struct rng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    /* cam-j1 draws from its own stream: the other cameras' bytes stay as
     * they were before it was added */
    struct rng rj = {seed * 0x9E3779B97F4A7C15ull + 3};
    size_t n = N_SCRIPT;
    memcpy(a, script, sizeof script);
    n = background(a, n, &r);
    if (manifest && write_manifest(manifest, a, N_SCRIPT) != 0)
        return -1;
    long fe = 0, fs = 0, fj = 0;
    for (int64_t ms = 0; ms <= DURATION_S * 1000; ms += 50) {
        if (ms % 1000 == 0) {
            fprintf(log,
                    "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/signals/sig-e-straight\","
                    "\"payload\":{\"ts\":%" PRId64 ",\"state\":\"%s\"}}\n",
                    OC_GEN_T0 + ms + 2, OC_GEN_T0 + ms, sig_name(straight_at(ms / 1000.0)));
            fprintf(log,
                    "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/signals/sig-e-ped\","
                    "\"payload\":{\"ts\":%" PRId64 ",\"state\":\"%s\"}}\n",
                    OC_GEN_T0 + ms + 3, OC_GEN_T0 + ms, sig_name(ped_at(ms / 1000.0)));
            junction_signals(log, ms);
        }
        if (ms % 100 == 50 && camera_frame(log, a, obs, n, "cam-e1", ms, fe++, &r, frames) != 0)
            return -1;
        if (ms % 100 == 0 && camera_frame(log, a, obs, n, "cam-s1", ms, fs++, &r, frames) != 0)
            return -1;
        if (ms % 100 == 0 && camera_frame(log, a, obs, n, "cam-j1", ms, fj++, &rj, frames) != 0)
            return -1;
        if (ms == 50000)
            camera_event(log, ms, "littering", "ev-1", "p-1", "person");
        if (ms == 51000) /* the camera repeats itself: counted once */
            camera_event(log, ms, "littering", "ev-1", "p-1", "person");
        if (ms == 80000)
            camera_event(log, ms, "spitting", NULL, "p-2", "person");
        if (ms == 90000) /* not an enforced type */
            camera_event(log, ms, "smoking", "ev-3", "p-3", "person");
        if (ms == 150000)
            camera_event(log, ms, "throwing_from_vehicle", "ev-4", "c-4", "car");
        bad_messages(log, ms);
    }
    return ferror(log) ? -1 : 0;
}

/* ---------------- synthetic logs for benchmarks ---------------- */

static void bench_scene(FILE *s, int cameras, bool junction)
{
    fprintf(s, "{\n  \"box_id\": \"edge-bench\",\n  \"signals\": [");
    for (int c = 0; c < cameras; c++) {
        if (junction)
            gen_jb_signals(s, c, c == 0);
        else
            fprintf(s, "%s{\"id\": \"sig-%03d\"}", c ? ", " : "", c);
    }
    fprintf(s, "],\n  \"cameras\": [\n");
    for (int c = 0; c < cameras; c++) {
        if (junction) {
            gen_jb_camera(s, c, c + 1 == cameras);
            continue;
        }
        fprintf(
            s,
            "    {\"id\": \"cam-%03d\", \"width\": 1920, \"height\": 1080, \"road\": \"Road %d\", "
            "\"unit\": \"Brigade %d\",\n"
            "     \"zones\": [\n"
            "       {\"id\": \"road\", \"kind\": \"carriageway\", \"polygon\": "
            "[[0,250],[1920,250],[1920,750],[0,750]]},\n"
            "       {\"id\": \"cw\", \"kind\": \"crosswalk\", \"polygon\": "
            "[[1000,250],[1150,250],[1150,750],[1000,750]]},\n"
            "       {\"id\": \"lane\", \"kind\": \"lane\", \"polygon\": "
            "[[0,500],[1920,500],[1920,750],[0,750]], \"direction\": [1,0]},\n"
            "       {\"id\": \"np\", \"kind\": \"no_parking\", \"polygon\": "
            "[[100,800],[700,800],[700,1000],[100,1000]]},\n"
            "       {\"id\": \"tp\", \"kind\": \"tactile_paving\", \"polygon\": "
            "[[800,900],[1800,900],[1800,960],[800,960]]}],\n"
            "     \"lines\": [\n"
            "       {\"id\": \"stop\", \"kind\": \"stop_line\", \"points\": [[900,300],[900,700]], "
            "\"direction\": [1,0], \"signal\": \"sig-%03d\", \"exit_lines\": [\"exit\"]},\n"
            "       {\"id\": \"exit\", \"kind\": \"exit_line\", \"points\": "
            "[[1500,300],[1500,700]], \"direction\": [1,0]}]}%s\n",
            c, c / 4, c % 4, c, c + 1 < cameras ? "," : "");
    }
    fprintf(s, "  ]\n}\n");
}

struct walker {
    char id[16];
    const char *cls;
    double x, y, vx, vy, w, h;
    int64_t end;
    int turn; /* bench --junction: 0 straight, 1 left, 2 right, 3 U-turn */
};

static void walker_spawn(struct walker *wk, struct rng *r, int64_t now, long serial)
{
    static const char *const cls[] = {"car", "car", "car", "bus", "ebike", "person"};
    wk->cls = cls[rng_int(r, 0, 5)];
    snprintf(wk->id, sizeof wk->id, "%ld", serial);
    wk->w = wk->cls[0] == 'p' ? 40 : wk->cls[0] == 'e' ? 60 : 160;
    wk->h = wk->cls[0] == 'p' ? 120 : wk->cls[0] == 'e' ? 130 : 110;
    wk->x = rng_int(r, 50, 400);
    wk->y = rng_int(r, 300, 700);
    wk->vx = rng_int(r, 60, 220);
    wk->vy = rng_int(r, -10, 10);
    wk->end = now + rng_int(r, 8000, 20000);
    wk->turn = 0;
}

/* bench --junction: a pedestrian crosses the road on the crosswalk; a
 * vehicle turns as its guide lane says, one in ten any way (a U-turn
 * included). */
static void walker_junction(struct walker *wk, struct rng *r)
{
    if (wk->cls[0] == 'p') {
        bool down = rng_int(r, 0, 1);
        wk->x = rng_int(r, GEN_JB_CW_X0 + 10, GEN_JB_CW_X1 - 10);
        wk->y = down ? 255 : 745;
        wk->vx = rng_int(r, -5, 5);
        wk->vy = (down ? 1 : -1) * rng_int(r, 60, 120);
        return;
    }
    int lane = wk->y < GEN_JB_LANE_LEFT_Y ? 1 : wk->y >= GEN_JB_LANE_RIGHT_Y ? 2 : 0;
    wk->turn = rng_int(r, 0, 9) == 0 ? rng_int(r, 0, 3) : lane;
}

/* bench --junction: a turning vehicle leaves north or south past its turn;
 * a U-turn goes back west just past the stop line. */
static void walker_turn(struct walker *w)
{
    if ((w->turn == 1 && w->x > GEN_JB_LEFT_TURN_X) ||
        (w->turn == 2 && w->x > GEN_JB_RIGHT_TURN_X)) {
        w->vx = 60;
        w->vy = w->turn == 1 ? -150 : 150;
        w->turn = 0;
    } else if (w->turn == 3 && w->x > GEN_JB_UTURN_X) {
        w->vx = -100;
        w->vy = -(w->y - 150) / 0.8; /* north of the approach while back over the exit */
        w->turn = 0;
    }
}

int oc_gen_bench(FILE *log, FILE *scene, uint64_t seed, int cameras, long messages, int objects,
                 bool junction)
{
    struct rng r = {seed * 0x9E3779B97F4A7C15ull + 7};
    static char buf[1 << 16];
    bench_scene(scene, cameras, junction);
    struct walker *wk = calloc((size_t)cameras * (size_t)objects, sizeof *wk);
    if (!wk)
        return -1;
    long serial = 1, sent = 0;
    for (int c = 0; c < cameras * objects; c++) {
        walker_spawn(&wk[c], &r, -rng_int(&r, 0, 8000), serial++);
        if (junction)
            walker_junction(&wk[c], &r);
    }
    for (int64_t ms = 0; sent < messages; ms += 100) {
        if (ms % 1000 == 0)
            for (int c = 0; c < cameras; c++) {
                bool green = fmod(ms / 1000.0, 60) < 30;
                fprintf(log,
                        "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/signals/sig-%03d\","
                        "\"payload\":{\"ts\":%" PRId64 ",\"state\":\"%s\"}}\n",
                        OC_GEN_T0 + ms + 1, c, OC_GEN_T0 + ms, green ? "green" : "red");
                if (junction)
                    gen_jb_heartbeats(log, OC_GEN_T0, c, ms, green);
            }
        for (int c = 0; c < cameras && sent < messages; c++, sent++) {
            size_t len = (size_t)snprintf(
                buf, sizeof buf,
                "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/cam-%03d/detections\","
                "\"payload\":{\"ts\":%" PRId64 ",\"frame\":%" PRId64 ",\"objects\":[",
                OC_GEN_T0 + ms + 3, c, OC_GEN_T0 + ms, ms / 100);
            for (int k = 0; k < objects; k++) {
                struct walker *w = &wk[c * objects + k];
                if (ms >= w->end || w->x > 1900 || (junction && (w->y < 0 || w->y > 1080))) {
                    walker_spawn(w, &r, ms, serial++);
                    if (junction)
                        walker_junction(w, &r);
                }
                if (junction)
                    walker_turn(w);
                w->x += w->vx / 10;
                w->y += w->vy / 10;
                len +=
                    (size_t)snprintf(buf + len, sizeof buf - len,
                                     "%s{\"id\":%s,\"class\":\"%s\",\"box\":[%.0f,%.0f,%.0f,%.0f],"
                                     "\"conf\":%.2f,\"attrs\":{\"plate\":\"晋A%05d\"}}",
                                     k ? "," : "", w->id, w->cls, w->x - w->w / 2, w->y - w->h,
                                     w->w, w->h, 0.6 + 0.39 * rng_unit(&r), atoi(w->id) % 100000);
            }
            fprintf(log, "%.*s]}}\n", (int)len, buf);
        }
    }
    free(wk);
    return ferror(log) ? -1 : 0;
}
