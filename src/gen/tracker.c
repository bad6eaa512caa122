/* The tracker noise model and the parking-row scenario (tracker.h). */
#include "tracker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    /* xorshift64*, as gen.c: the same on every machine */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

static double unit(struct rng *r)
{
    return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

static int between(struct rng *r, int lo, int hi)
{
    return lo + (int)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static double gauss(struct rng *r)
{
    double u = unit(r), v = unit(r);
    return sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

struct obj_state {
    bool seen;
    unsigned id;       /* current tracker id */
    int miss;          /* frames left in a miss run */
    int hop, hop_with; /* frames left showing the neighbour's id, and which */
    int dup;           /* frames left with a duplicate track */
    unsigned dup_id;
    int part, part_kind; /* frames left boxed by a visible part, and which part */
};

struct gen_tracker {
    struct rng r;
    double level;
    unsigned mask;
    int max_obj;
    unsigned next_id;
    struct obj_state *o;
};

struct gen_tracker *gen_tracker_new(uint64_t seed, double level, int max_obj)
{
    struct gen_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->o = calloc((size_t)max_obj, sizeof *t->o);
    if (!t->o) {
        free(t);
        return NULL;
    }
    t->r.s = seed * 0x9E3779B97F4A7C15ull + 0x51ED;
    t->level = level;
    t->mask = GEN_ART_ALL;
    t->max_obj = max_obj;
    t->next_id = 1;
    return t;
}

void gen_tracker_free(struct gen_tracker *t)
{
    if (t)
        free(t->o);
    free(t);
}

void gen_tracker_only(struct gen_tracker *t, unsigned mask)
{
    t->mask = mask;
}

/* Draws even when the artefact is off, so that the others see the same
 * random numbers. */
static bool chance(struct gen_tracker *t, unsigned art, double p)
{
    return unit(&t->r) < p * t->level && (t->mask & art);
}

static void jitter(struct gen_tracker *t, struct gen_det *d)
{
    double s = t->mask & GEN_ART_JITTER ? 0.04 * t->level : 0;
    double w = d->w, h = d->h;
    d->x += gauss(&t->r) * s * w;
    d->y += gauss(&t->r) * s * h;
    d->w = fmax(4, w * (1 + gauss(&t->r) * s));
    d->h = fmax(4, h * (1 + gauss(&t->r) * s));
    d->x = fmax(0, d->x);
    d->y = fmax(0, d->y);
}

/* The visible part of a box: top, left or right. */
static void visible_part(struct gen_det *d, int kind)
{
    if (kind == 0) {
        d->h *= 0.6;
    } else if (kind == 1) {
        d->w *= 0.6;
    } else {
        d->x += d->w * 0.4;
        d->w *= 0.6;
    }
}

/* The nearest other object in the frame, when its box is within 1.5 box
 * widths: the neighbour an id may hop to. */
static int neighbour(const struct gen_det *in, size_t n, size_t i)
{
    int best = -1;
    double bd = 1.5 * in[i].w;
    for (size_t k = 0; k < n; k++) {
        double dx = in[k].x + in[k].w / 2 - in[i].x - in[i].w / 2, dy = in[k].y - in[i].y;
        double d = sqrt(dx * dx + dy * dy);
        if (k != i && d < bd) {
            bd = d;
            best = (int)k;
        }
    }
    return best;
}

static void events(struct gen_tracker *t, const struct gen_det *in, size_t n, size_t i)
{
    struct obj_state *s = &t->o[in[i].obj];
    if (!s->seen) {
        s->seen = true;
        s->id = t->next_id++;
    }
    if (s->miss > 0 && --s->miss == 0 && chance(t, GEN_ART_RENUM, 0.5))
        s->id = t->next_id++; /* lost, picked up again under a new id */
    if (s->miss == 0 && chance(t, GEN_ART_MISS, 0.03))
        s->miss = unit(&t->r) < 0.85 ? between(&t->r, 1, 8) : between(&t->r, 15, 40);
    if (chance(t, GEN_ART_RENUM, 0.04))
        s->id = t->next_id++;
    if (s->hop > 0)
        s->hop--;
    else if (chance(t, GEN_ART_HOP, 0.01)) {
        int k = neighbour(in, n, i);
        struct obj_state *o = k >= 0 ? &t->o[in[k].obj] : NULL;
        if (o && o->seen && o->hop == 0) {
            s->hop = o->hop = between(&t->r, 1, 10);
            s->hop_with = in[k].obj;
            o->hop_with = in[i].obj;
        }
    }
    if (s->dup > 0)
        s->dup--;
    else if (chance(t, GEN_ART_DUP, 0.01)) {
        s->dup = between(&t->r, 5, 50);
        s->dup_id = t->next_id++;
    }
    if (s->part > 0)
        s->part--;
    else if (chance(t, GEN_ART_PART, 0.02)) {
        s->part = between(&t->r, 3, 25);
        s->part_kind = between(&t->r, 0, 2);
    }
}

size_t gen_tracker_frame(struct gen_tracker *t, const struct gen_det *in, size_t n,
                         struct gen_det *out, size_t cap)
{
    for (size_t i = 0; i < n; i++)
        if (in[i].obj >= 0 && in[i].obj < t->max_obj)
            events(t, in, n, i);
    size_t m = 0;
    for (size_t i = 0; i < n && m < cap; i++) {
        if (in[i].obj < 0 || in[i].obj >= t->max_obj) {
            out[m++] = in[i];
            continue;
        }
        const struct obj_state *s = &t->o[in[i].obj];
        if (s->miss > 0)
            continue;
        struct gen_det d = in[i];
        unsigned id = s->hop > 0 ? t->o[s->hop_with].id : s->id;
        snprintf(d.id, sizeof d.id, "t%u", id);
        if (s->part > 0)
            visible_part(&d, s->part_kind);
        jitter(t, &d);
        out[m++] = d;
        if (s->dup > 0 && m < cap) {
            struct gen_det e = in[i];
            snprintf(e.id, sizeof e.id, "t%u", s->dup_id);
            if (s->dup % 3 == 0)
                visible_part(&e, 0);
            jitter(t, &e);
            out[m++] = e;
        }
    }
    return m;
}

/* ---------------- the parking-row scenario ---------------- */

#define FRAME_MS 200
#define MOVE_MS 3000
#define MAX_CARS (GEN_SLOTS + 4)

static const char scene[] =
    "{\"box_id\":\"edge-stays\",\"signals\":[],\"cameras\":[{\"id\":\"" GEN_STAYS_CAMERA
    "\",\"width\":1920,\"height\":1080,"
    "\"zones\":[{\"id\":\"np\",\"kind\":\"no_parking\",\"dwell_s\":60,"
    "\"polygon\":[[850,560],[1450,560],[1450,745],[850,745]]}],\"lines\":[]}]}";

const char *gen_stays_scene(void)
{
    return scene;
}

/* Slot k: a row receding from the camera, each place 0.92 of the size of
 * the one before, anchors 30 px left and 18 px up. */
void gen_stays_slot_box(int k, double box[4])
{
    double s = pow(0.92, k), h = 100 * s, w = 160 * s;
    double ax = 1200 - 30.0 * k, ay = 720 - 18.0 * k;
    box[0] = ax - w / 2;
    box[1] = ay - h;
    box[2] = w;
    box[3] = h;
}

struct slot {
    int64_t next_arrive; /* the next car starts to come at next_arrive - MOVE_MS */
    int64_t arrive, depart;
    bool busy, long_stay;
    int obj;
};

/* The anchor of a car of slot k at time t (ms), or false when absent. */
static bool car_at(const struct slot *s, int k, int64_t t, double box[4])
{
    if (!s->busy || t < s->arrive - MOVE_MS || t > s->depart + MOVE_MS)
        return false;
    gen_stays_slot_box(k, box);
    double f = 0; /* 1 = on the road, 0 = in place */
    if (t < s->arrive)
        f = (double)(s->arrive - t) / MOVE_MS;
    else if (t > s->depart)
        f = (double)(t - s->depart) / MOVE_MS;
    f = f * f; /* slowing down into the place, speeding up out of it */
    box[0] += f * (t < s->arrive ? -350 : 350);
    box[1] += f * 160;
    return true;
}

static void plan(struct rng *r, struct slot *s, int64_t from)
{
    s->arrive = from + between(r, 8, 40) * 1000 + MOVE_MS;
    s->long_stay = unit(r) < 0.5;
    double d = s->long_stay ? 1.3 + 1.2 * unit(r) : 0.15 + 0.55 * unit(r);
    s->depart = s->arrive + (int64_t)llround(d * GEN_STAYS_DWELL_S * 1000);
    s->busy = true;
}

static int frame_json(char *buf, size_t cap, int64_t ts, const struct gen_det *d, size_t n)
{
    size_t len = (size_t)snprintf(buf, cap, "{\"ts\":%lld,\"objects\":[", (long long)ts);
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len,
                                "%s{\"id\":\"%s\",\"class\":\"%s\",\"conf\":0.8,"
                                "\"box\":[%.1f,%.1f,%.1f,%.1f]}",
                                i ? "," : "", d[i].id, d[i].cls, d[i].x, d[i].y, d[i].w, d[i].h);
    if (len + 3 > cap)
        return -1;
    memcpy(buf + len, "]}", 3);
    return 0;
}

int gen_stays(uint64_t seed, double level, int n_stays, const struct gen_stays_out *out)
{
    struct rng r = {seed * 0xD1B54A32D192ED03ull + 7};
    int max_obj = 8 * n_stays + 1024; /* parked and passing cars */
    struct gen_tracker *t = gen_tracker_new(seed + 1, level, max_obj);
    if (!t)
        return -1;
    gen_tracker_only(t, GEN_ART_ALL & ~out->skip);
    struct slot slots[GEN_SLOTS];
    int next_obj = 0, made = 0, rc = 0;
    for (int k = 0; k < GEN_SLOTS; k++) {
        plan(&r, &slots[k], 0);
        slots[k].obj = next_obj++;
    }
    int64_t pass_next = 2000, pass_t0 = -1;
    int pass_obj = -1;
    double pass_speed = 0;
    static char buf[16384];
    struct gen_det clean[MAX_CARS], noisy[MAX_CARS * 2];
    for (int64_t ts = 0; rc == 0; ts += FRAME_MS) {
        size_t n = 0;
        bool open = false;
        for (int k = 0; k < GEN_SLOTS; k++) {
            struct slot *s = &slots[k];
            if (s->busy && ts > s->depart + MOVE_MS) {
                struct gen_stay_truth truth = {k, s->arrive, s->depart, s->long_stay, s->obj};
                if (out->truth && (rc = out->truth(out->ud, &truth)) != 0)
                    break;
                made++;
                s->busy = false;
                if (made + GEN_SLOTS <= n_stays) {
                    plan(&r, s, ts);
                    s->obj = next_obj++;
                }
            }
            open |= s->busy;
            double b[4];
            if (car_at(s, k, ts, b))
                clean[n++] = (struct gen_det){"", "car", b[0], b[1], b[2], b[3], s->obj};
        }
        if (rc != 0 || (!open && made >= n_stays) || next_obj >= max_obj - 2)
            break;
        /* passing traffic in front of the row, left to right */
        if (pass_obj < 0 && ts >= pass_next) {
            pass_obj = next_obj++;
            pass_t0 = ts;
            pass_speed = between(&r, 150, 300);
        }
        if (pass_obj >= 0) {
            double x = 600 + pass_speed * (double)(ts - pass_t0) / 1000;
            if (x > 1800) {
                pass_obj = -1;
                pass_next = ts + between(&r, 3, 12) * 1000;
            } else {
                clean[n++] = (struct gen_det){"", "car", x - 80, 680, 160, 110, pass_obj};
            }
        }
        size_t m = gen_tracker_frame(t, clean, n, noisy, sizeof noisy / sizeof *noisy);
        if (out->boxes)
            out->boxes(out->ud, ts, noisy, m);
        if (frame_json(buf, sizeof buf, out->t0 + ts, noisy, m) != 0 ||
            (rc = out->detections(out->ud, ts, buf)) != 0)
            break;
    }
    gen_tracker_free(t);
    return rc;
}
