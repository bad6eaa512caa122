/* Plane geometry in camera pixels: points, polygons (even-odd rule with the
 * boundary inside), segment crossings. Pure functions, no allocation. */
#ifndef OC_GEOM_H
#define OC_GEOM_H

#include <stdbool.h>
#include <stddef.h>

struct oc_pt {
    double x, y;
};

/* A polygon: the caller owns pts; bbox is filled by oc_geom_poly_init. */
struct oc_poly {
    const struct oc_pt *pts;
    size_t n;
    double minx, miny, maxx, maxy;
};

void oc_geom_poly_init(struct oc_poly *poly, const struct oc_pt *pts, size_t n);

/* True when p is inside poly by the even-odd rule, or on its boundary. */
bool oc_geom_inside(const struct oc_poly *poly, struct oc_pt p);

/* Distance between two points. */
double oc_geom_dist(struct oc_pt a, struct oc_pt b);

/* When motion segment a->b intersects segment [p, q], returns true and sets
 * *f to the fraction of a->b before the intersection (0..1). Touching
 * counts; collinear overlap counts at the first shared point. */
bool oc_geom_cross(struct oc_pt a, struct oc_pt b, struct oc_pt p, struct oc_pt q, double *f);

#endif
