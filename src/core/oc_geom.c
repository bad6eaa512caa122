#include "ordercam/oc_geom.h"

#include <math.h>

void oc_geom_poly_init(struct oc_poly *poly, const struct oc_pt *pts, size_t n)
{
    poly->pts = pts;
    poly->n = n;
    poly->minx = poly->miny = INFINITY;
    poly->maxx = poly->maxy = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        poly->minx = fmin(poly->minx, pts[i].x);
        poly->maxx = fmax(poly->maxx, pts[i].x);
        poly->miny = fmin(poly->miny, pts[i].y);
        poly->maxy = fmax(poly->maxy, pts[i].y);
    }
}

static bool on_segment(struct oc_pt a, struct oc_pt b, struct oc_pt p)
{
    double cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
    if (cross != 0.0)
        return false;
    return p.x >= fmin(a.x, b.x) && p.x <= fmax(a.x, b.x) && p.y >= fmin(a.y, b.y) &&
           p.y <= fmax(a.y, b.y);
}

bool oc_geom_inside(const struct oc_poly *poly, struct oc_pt p)
{
    if (p.x < poly->minx || p.x > poly->maxx || p.y < poly->miny || p.y > poly->maxy)
        return false;
    bool in = false;
    for (size_t i = 0, j = poly->n - 1; i < poly->n; j = i++) {
        struct oc_pt a = poly->pts[i], b = poly->pts[j];
        if (on_segment(a, b, p))
            return true;
        if ((a.y > p.y) != (b.y > p.y)) {
            double x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if (p.x < x)
                in = !in;
        }
    }
    return in;
}

double oc_geom_dist(struct oc_pt a, struct oc_pt b)
{
    return hypot(b.x - a.x, b.y - a.y);
}

static double cross2(struct oc_pt u, struct oc_pt v)
{
    return u.x * v.y - u.y * v.x;
}

bool oc_geom_cross(struct oc_pt a, struct oc_pt b, struct oc_pt p, struct oc_pt q, double *f)
{
    struct oc_pt r = {b.x - a.x, b.y - a.y};
    struct oc_pt s = {q.x - p.x, q.y - p.y};
    struct oc_pt ap = {p.x - a.x, p.y - a.y};
    double denom = cross2(r, s);
    if (denom == 0.0) {
        if (cross2(ap, r) != 0.0)
            return false; /* parallel, apart */
        double rr = r.x * r.x + r.y * r.y;
        if (rr == 0.0)
            return false; /* no motion */
        double t0 = (ap.x * r.x + ap.y * r.y) / rr;
        double t1 = t0 + (s.x * r.x + s.y * r.y) / rr;
        double lo = fmin(t0, t1), hi = fmax(t0, t1);
        if (hi < 0.0 || lo > 1.0)
            return false;
        *f = fmax(lo, 0.0);
        return true;
    }
    double t = cross2(ap, s) / denom;
    double u = cross2(ap, r) / denom;
    if (t < 0.0 || t > 1.0 || u < 0.0 || u > 1.0)
        return false;
    *f = t;
    return true;
}
