/* ONVIF analytics metadata (docs/inputs.md): a tt:MetadataStream document
 * per MQTT message, as an ONVIF-to-MQTT bridge forwards a camera's
 * metadata stream. Each tt:VideoAnalytics/tt:Frame becomes one detections
 * message at its UtcTime; every tt:Object with a tt:Shape/tt:BoundingBox
 * becomes an object whose tracker id is its ObjectId.
 *
 * Coordinates: a frame's tt:Transformation maps its coordinates p into
 * ONVIF's normalized system (x right, y up, both in [-1, 1]) as
 * n = Scale * p + Translate; an object's own tt:Transformation is applied
 * first. Pixels of the camera's configured size are then
 * X = (nx + 1) / 2 * width, Y = (1 - ny) / 2 * height.
 *
 * libxml2 parses with network access off (XML_PARSE_NONET), no entity
 * substitution and no DTD loading; a document with a DTD at all is
 * refused, as is one over OC_ADAPT_MAX_BYTES or nested deeper than
 * OC_ADAPT_XML_MAX_DEPTH. */
#include "oc_adapt_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define TT_NS "http://www.onvif.org/ver10/schema"
#define MAX_FRAME_OBJS OC_MAX_OBJECTS

static const char *const onvif_classes[][2] = {
    {"Vehicle", "car"}, {"Human", "person"}, {"Bike", "bicycle"}, {"Bicycle", "bicycle"},
    {"Car", "car"},     {"Bus", "bus"},      {"Truck", "truck"},  {"Van", "van"},
    {"Motorcycle", "motorcycle"}, {NULL, NULL}};

struct ov_obj {
    struct oc_obj o;
    long long id, parent;
    bool has_parent, is_plate;
    char idbuf[24];
    char cls[65];
    char plate[OC_PLATE_MAX + 1];
};

/* The parser context is kept between documents: its name dictionary
 * saves most of libxml2's allocations. It is remade when its dictionary
 * holds more than this many names, so hostile documents full of fresh
 * element names cannot grow it without bound. */
#define OV_DICT_MAX 4096

struct ov {
    const struct oc_config *cfg;
    xmlParserCtxtPtr ctxt;
    struct ov_obj objs[MAX_FRAME_OBJS];
    struct oc_obj out[MAX_FRAME_OBJS];
};

/* An affine map p -> s * p + t per axis. */
struct xf {
    double sx, sy, tx, ty;
};

static void *ov_create(const struct oc_config *cfg)
{
    xmlInitParser();
    struct ov *s = calloc(1, sizeof *s);
    if (s)
        s->cfg = cfg;
    return s;
}

static void ov_destroy(void *st)
{
    struct ov *s = st;
    if (s->ctxt)
        xmlFreeParserCtxt(s->ctxt);
    free(s);
}

static bool is_tt(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, TT_NS) == 0 && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_tt(c, name))
            return c;
    return NULL;
}

/* The value of attribute name (no namespace), or NULL; borrowed. */
static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (strcmp((const char *)a->name, name) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE && !a->children->next)
            return (const char *)a->children->content;
    return NULL;
}

/* The element's text when it is one text node, else NULL; borrowed. */
static const char *text(const xmlNode *n)
{
    if (n && n->children && !n->children->next && n->children->type == XML_TEXT_NODE)
        return (const char *)n->children->content;
    return NULL;
}

static bool number(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *e;
    errno = 0;
    *out = strtod(s, &e);
    while (*e == ' ' || *e == '\t' || *e == '\n' || *e == '\r')
        e++;
    return *e == '\0' && errno == 0 && isfinite(*out);
}

static bool integer(const char *s, long long *out)
{
    if (!s || !*s)
        return false;
    char *e;
    errno = 0;
    *out = strtoll(s, &e, 10);
    return *e == '\0' && errno == 0 && *out > -1000000000000000LL && *out < 1000000000000000LL;
}

/* Applies a tt:Transformation node to the current map: its coordinates
 * become the new top-most system (inner = outer ∘ node). */
static bool transform(const xmlNode *t, struct xf *f)
{
    struct xf n = {1, 1, 0, 0};
    const xmlNode *tr = child(t, "Translate"), *sc = child(t, "Scale");
    const char *v;
    if (tr && (((v = attr(tr, "x")) && !number(v, &n.tx)) || ((v = attr(tr, "y")) && !number(v, &n.ty))))
        return false;
    if (sc && (((v = attr(sc, "x")) && !number(v, &n.sx)) || ((v = attr(sc, "y")) && !number(v, &n.sy))))
        return false;
    if (n.sx == 0 || n.sy == 0 || fabs(n.sx) > 1e6 || fabs(n.sy) > 1e6 || fabs(n.tx) > 1e6 ||
        fabs(n.ty) > 1e6)
        return false;
    *f = (struct xf){f->sx * n.sx, f->sy * n.sy, f->sx * n.tx + f->tx, f->sy * n.ty + f->ty};
    return true;
}

static double grid(double v)
{
    return round(v * 1024.0) / 1024.0; /* a 1/1024 px grid: exact for pixel-aligned sources */
}

/* The most likely class among the tt:Class's candidates, in either form:
 * <tt:Type Likelihood="0.9">Vehicle</tt:Type> or
 * <tt:ClassCandidate><tt:Type>Vehicle</tt:Type><tt:Likelihood>0.9</tt:Likelihood>. */
static const char *best_class(const xmlNode *cls, double *conf, unsigned *dropped)
{
    const char *best = NULL;
    double bl = -1;
    for (const xmlNode *c = cls ? cls->children : NULL; c; c = c->next) {
        const char *name = NULL, *lk = NULL;
        if (is_tt(c, "Type")) {
            name = text(c);
            lk = attr(c, "Likelihood");
        } else if (is_tt(c, "ClassCandidate")) {
            name = text(child(c, "Type"));
            lk = text(child(c, "Likelihood"));
        } else {
            continue;
        }
        double l = 1;
        if (lk && (!number(lk, &l) || l < 0 || l > 1)) {
            (*dropped)++;
            l = 1;
        }
        if (!name || !*name) {
            (*dropped)++;
            continue;
        }
        if (l > bl) {
            bl = l;
            best = name;
        }
    }
    *conf = best ? bl : 1;
    return best;
}

/* Decodes one tt:Object. Returns false with *why when it cannot be used. */
static bool object(struct ov *s, const struct oc_adapt_io *io, int cam, const xmlNode *on,
                   struct xf f, struct ov_obj *d, enum oc_counter *why, unsigned *dropped)
{
    const struct oc_camera_cfg *cc = &s->cfg->cameras[cam];
    *why = OC_C_DROP_MISSING_FIELD;
    const char *id = attr(on, "ObjectId");
    if (!id)
        return false;
    *why = OC_C_DROP_BAD_VALUE;
    if (!integer(id, &d->id))
        return false;
    const char *par = attr(on, "Parent");
    d->has_parent = par && integer(par, &d->parent);
    if (par && !d->has_parent)
        (*dropped)++;
    snprintf(d->idbuf, sizeof d->idbuf, "%lld", d->id);
    const xmlNode *ap = child(on, "Appearance");
    const xmlNode *xt = child(ap, "Transformation");
    if (xt && !transform(xt, &f))
        return false;
    const xmlNode *bb = child(child(ap, "Shape"), "BoundingBox");
    d->plate[0] = '\0';
    const char *pn = text(child(child(ap, "LicensePlateInfo"), "PlateNumber"));
    if (pn) {
        while (*pn == ' ' || *pn == '\n' || *pn == '\t' || *pn == '\r')
            pn++;
        size_t n = strcspn(pn, " \t\r\n");
        if (n > 0 && n <= OC_PLATE_MAX && pn[n + strspn(pn + n, " \t\r\n")] == '\0') {
            memcpy(d->plate, pn, n);
            d->plate[n] = '\0';
        } else if (n > 0) {
            (*dropped)++;
        }
    }
    double conf;
    const char *cls = best_class(child(ap, "Class"), &conf, dropped);
    d->is_plate = cls && strcasecmp(cls, "LicensePlate") == 0;
    if (d->is_plate)
        return true; /* a plate belongs to its Parent; never a track */
    if (!bb) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    double l, t, r, b;
    if (!number(attr(bb, "left"), &l) || !number(attr(bb, "top"), &t) ||
        !number(attr(bb, "right"), &r) || !number(attr(bb, "bottom"), &b))
        return false;
    double nl = f.sx * l + f.tx, nr = f.sx * r + f.tx, nt = f.sy * t + f.ty, nb = f.sy * b + f.ty;
    const double lim = 2.0; /* partly out of view: some cameras report beyond the edge */
    if (fabs(nl) > lim || fabs(nr) > lim || fabs(nt) > lim || fabs(nb) > lim)
        return false;
    double x1 = grid((nl + 1) / 2 * cc->width), x2 = grid((nr + 1) / 2 * cc->width);
    double y1 = grid((1 - nt) / 2 * cc->height), y2 = grid((1 - nb) / 2 * cc->height);
    d->o = (struct oc_obj){.x = fmin(x1, x2), .y = fmin(y1, y2), .w = fabs(x2 - x1),
                           .h = fabs(y2 - y1), .conf = conf, .helmet = OC_HELMET_UNKNOWN};
    /* the class: a vehicle's tt:VehicleInfo type when ordercam knows it */
    const char *vt = text(child(child(ap, "VehicleInfo"), "Type"));
    const char *name = NULL;
    if (vt && strlen(vt) < sizeof d->cls) {
        snprintf(d->cls, sizeof d->cls, "%s", vt);
        name = oc_adapt__class(io, onvif_classes, d->cls);
    }
    if (!name) {
        snprintf(d->cls, sizeof d->cls, "%s", cls && strlen(cls) < sizeof d->cls ? cls : "unknown");
        if (cls && strlen(cls) >= sizeof d->cls)
            (*dropped)++;
        name = oc_adapt__class(io, onvif_classes, d->cls);
    }
    d->o.cls = name && name != d->cls ? name : NULL; /* NULL: d->cls, re-pointed on output */
    return true;
}

static int frame(struct ov *s, const struct oc_adapt_io *io, int cam, const xmlNode *fr,
                 struct xf f)
{
    const char *ut = attr(fr, "UtcTime");
    int64_t ts;
    if (!ut) {
        oc_adapt__drop(io, cam, OC_C_DROP_MISSING_FIELD);
        return -1;
    }
    if (!oc_adapt_parse_iso8601(ut, strlen(ut), &ts)) {
        oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE);
        return -1;
    }
    const xmlNode *xt = child(fr, "Transformation");
    if (xt && !transform(xt, &f)) {
        oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE);
        return -1;
    }
    size_t n = 0;
    unsigned dropped = 0;
    for (const xmlNode *on = fr->children; on; on = on->next) {
        if (!is_tt(on, "Object"))
            continue;
        if (n == MAX_FRAME_OBJS) {
            oc_adapt__drop(io, cam, OC_C_DROP_TOO_LARGE);
            return -1;
        }
        enum oc_counter why;
        struct ov_obj *d = &s->objs[n];
        if (!object(s, io, cam, on, f, d, &why, &dropped)) {
            oc_adapt__drop(io, cam, why);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = s->objs[i].id == d->id;
        if (dup)
            oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE);
        else
            n++;
    }
    /* plates to their parents; what is left is the frame's objects */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct ov_obj *d = &s->objs[i];
        if (!d->is_plate)
            continue;
        bool joined = false;
        for (size_t j = 0; j < n && d->has_parent && d->plate[0] && !joined; j++)
            if (!s->objs[j].is_plate && s->objs[j].id == d->parent) {
                memcpy(s->objs[j].plate, d->plate, sizeof d->plate);
                joined = true;
            }
        if (!joined)
            dropped++;
    }
    for (size_t i = 0; i < n; i++) {
        struct ov_obj *d = &s->objs[i];
        if (d->is_plate)
            continue;
        s->out[k] = d->o;
        s->out[k].id = d->idbuf;
        if (!s->out[k].cls)
            s->out[k].cls = d->cls;
        s->out[k].plate = d->plate[0] ? d->plate : NULL;
        k++;
    }
    oc_adapt__drops(io, cam, OC_C_FIELD_DROPPED, dropped);
    struct oc_detections det = {.ts = ts, .frame = -1, .objs = s->out, .n_objs = k};
    oc_adapt__detections(io, cam, &det);
    return cam;
}

static bool too_deep(const xmlNode *n, int depth)
{
    if (depth > OC_ADAPT_XML_MAX_DEPTH)
        return true;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && too_deep(c, depth + 1))
            return true;
    return false;
}

static int ov_feed(void *st, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    struct ov *s = st;
    int cam = in->cams[0]; /* ONVIF names no camera: the topic does (one camera per filter) */
    if (in->len > OC_ADAPT_MAX_BYTES || in->len > (size_t)INT32_MAX) {
        oc_adapt__drop(io, cam, OC_C_DROP_TOO_LARGE);
        return cam;
    }
    if (s->ctxt && s->ctxt->dict && xmlDictSize(s->ctxt->dict) > OV_DICT_MAX) {
        xmlFreeParserCtxt(s->ctxt);
        s->ctxt = NULL;
    }
    if (!s->ctxt && !(s->ctxt = xmlNewParserCtxt())) {
        oc_adapt__drop(io, cam, OC_C_DROP_TOO_LARGE); /* out of memory */
        return cam;
    }
    xmlDocPtr doc = xmlCtxtReadMemory(s->ctxt, in->payload, (int)in->len, "onvif.xml", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                                          XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        oc_adapt__drop(io, cam, OC_C_DROP_BAD_JSON); /* "not a document of its format" */
        return cam;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (doc->intSubset || doc->extSubset) {
        oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE); /* no DTDs: no entities at all */
    } else if (!root || !is_tt(root, "MetadataStream")) {
        oc_adapt__drop(io, cam, OC_C_DROP_NOT_OBJECT);
    } else if (too_deep(root, 1)) {
        oc_adapt__drop(io, cam, OC_C_DROP_TOO_DEEP);
    } else {
        size_t frames = 0;
        for (const xmlNode *va = root->children; va; va = va->next) {
            if (!is_tt(va, "VideoAnalytics"))
                continue;
            for (const xmlNode *fr = va->children; fr; fr = fr->next)
                if (is_tt(fr, "Frame")) {
                    frame(s, io, cam, fr, (struct xf){1, 1, 0, 0});
                    frames++;
                }
        }
        if (frames == 0) /* PTZ or event metadata only: nothing for the engine */
            oc_adapt__drop(io, cam, OC_C_DROP_MISSING_FIELD);
    }
    xmlFreeDoc(doc);
    return cam;
}

const struct oc_adapt_format oc_adapt_fmt_onvif = {
    .name = "onvif", .json = false, .create = ov_create, .feed = ov_feed, .destroy = ov_destroy};
