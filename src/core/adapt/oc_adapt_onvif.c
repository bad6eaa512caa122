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
 * libxml2's SAX2 push parser reads the document (no tree is built) with
 * network access off (XML_PARSE_NONET), no entity substitution and no DTD
 * loading; a document with a DTD at all is refused, as is one over
 * OC_ADAPT_MAX_BYTES or nested deeper than OC_ADAPT_XML_MAX_DEPTH. Frames
 * are held until the whole document proved well-formed: a broken document
 * gives nothing. */
#include "oc_adapt_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#define TT_NS "http://www.onvif.org/ver10/schema"
#define MAX_FRAMES 64 /* frames per document */
#define TEXT_MAX 128  /* text of a class, likelihood or plate element */
/* The push parser's context is kept between documents (its name dictionary
 * saves most allocations) and remade when the dictionary passes this many
 * names, so documents full of fresh names cannot grow it without bound. */
#define OV_DICT_MAX 4096

static const char *const onvif_classes[][2] = {{"Vehicle", "car"},
                                               {"Human", "person"},
                                               {"Bike", "bicycle"},
                                               {"Bicycle", "bicycle"},
                                               {"Car", "car"},
                                               {"Bus", "bus"},
                                               {"Truck", "truck"},
                                               {"Van", "van"},
                                               {"Motorcycle", "motorcycle"},
                                               {NULL, NULL}};

/* An affine map p -> s * p + t per axis. */
struct xf {
    double sx, sy, tx, ty;
};

/* The elements the adapter reads, by their place in the document. */
enum el {
    E_OTHER,
    E_ROOT,
    E_VA,
    E_FRAME,
    E_FXF,
    E_OBJ,
    E_APP,
    E_OXF,
    E_SHAPE,
    E_BBOX,
    E_CLASS,
    E_CTYPE,
    E_CAND,
    E_CAND_TYPE,
    E_CAND_LK,
    E_VINFO,
    E_VTYPE,
    E_LPI,
    E_PLATE,
    E_XF_PART
};

struct ov_obj {
    struct oc_obj o;
    long long id, parent;
    bool has_parent, is_plate, has_box, bad;
    enum oc_counter why;
    double box[4];
    struct xf xf;
    char idbuf[24];
    char cls[65]; /* best class so far */
    double cls_lk;
    char vtype[65];
    char plate[OC_PLATE_MAX + 1];
};

struct ov_frame {
    int64_t ts;
    size_t first, n; /* objects objs[first .. first + n) */
};

/* The names the adapter looks for, interned in the parser context's
 * dictionary when it is made: libxml2 gives SAX2 callbacks element and
 * attribute names and namespace URIs from that dictionary, where a string
 * has exactly one copy, so a name is recognised by its pointer (no
 * string compare per element). Remade with the context. */
struct ov_names {
    const xmlChar *tt, *MetadataStream, *VideoAnalytics, *Frame, *Transformation, *Object,
        *Translate, *Scale, *Appearance, *Shape, *Class, *VehicleInfo, *LicensePlateInfo,
        *BoundingBox, *Type, *ClassCandidate, *Likelihood, *PlateNumber, *UtcTime, *x, *y,
        *ObjectId, *Parent, *left, *top, *right, *bottom;
};

/* strtod's answers for recent number texts of up to 31 bytes (a camera
 * sends the same long Scale values in every frame). */
#define NUM_MEMO 16
struct num_memo {
    uint8_t len; /* 0: empty */
    bool ok;
    double v;
    char text[31];
};

struct ov {
    const struct oc_config *cfg;
    struct num_memo memo[NUM_MEMO];
    const struct oc_adapt_io *io;
    int cam;
    xmlParserCtxtPtr ctxt;
    struct ov_names nm;
    /* one document */
    enum el stack[OC_ADAPT_XML_MAX_DEPTH + 1];
    int depth;
    bool failed, dtd, root_ok, pending_xf;
    enum oc_counter why;
    unsigned dropped;
    struct ov_frame frames[MAX_FRAMES];
    size_t n_frames;
    bool in_frame;
    struct xf fxf, part;
    struct ov_obj objs[OC_MAX_OBJECTS];
    size_t n_objs;
    struct ov_obj *obj; /* the object being read, NULL outside one */
    char text[TEXT_MAX + 1];
    size_t text_len;
    bool text_over;
    char cand_type[65];
    double cand_lk;
    bool cand_lk_set, cand_type_set;
    struct oc_obj out[OC_MAX_OBJECTS];
};

static bool number(struct num_memo *memo, const char *s, size_t n, double *out)
{
    char buf[64];
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n == 0 || n >= sizeof buf)
        return false;
    if (oc_adapt__decimal(s, n, out))
        return true;
    struct num_memo *m = NULL;
    if (n <= sizeof m->text) {
        unsigned h = 2166136261u;
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)s[i]) * 16777619u;
        m = &memo[h % NUM_MEMO];
        if (m->len == n && memcmp(m->text, s, n) == 0) {
            *out = m->v;
            return m->ok;
        }
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    bool ok = *e == '\0' && errno == 0 && isfinite(v);
    *out = v;
    if (m) {
        m->len = (uint8_t)n;
        m->ok = ok;
        m->v = v;
        memcpy(m->text, s, n);
    }
    return ok;
}

static bool integer(const char *s, size_t n, long long *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return false;
    /* [+-]digits of at most 15 digits: strtoll's value, in range */
    size_t i = s[0] == '-' || s[0] == '+';
    long long v = 0;
    if (n > i && n - i <= 15) {
        size_t k = i;
        while (k < n && s[k] >= '0' && s[k] <= '9')
            v = v * 10 + (s[k++] - '0');
        if (k == n) {
            *out = s[0] == '-' ? -v : v;
            return true;
        }
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *e;
    errno = 0;
    *out = strtoll(buf, &e, 10);
    return *e == '\0' && errno == 0 && *out > -1000000000000000LL && *out < 1000000000000000LL;
}

static void fail(struct ov *s, enum oc_counter why)
{
    if (!s->failed) {
        s->failed = true;
        s->why = why;
    }
    xmlStopParser(s->ctxt);
}

/* The value of attribute name (interned) among SAX2's (localname,
 * prefix, URI, value, end) quintuples; *len its length. */
static const char *attr(int n, const xmlChar **a, const xmlChar *name, size_t *len)
{
    for (int i = 0; i < n; i++, a += 5)
        if (!a[2] && a[0] == name) {
            *len = (size_t)(a[4] - a[3]);
            return (const char *)a[3];
        }
    return NULL;
}

static bool attr_num(struct ov *s, int n, const xmlChar **a, const xmlChar *name, double *out,
                     bool *present)
{
    size_t len;
    const char *v = attr(n, a, name, &len);
    *present = v != NULL;
    return !v || number(s->memo, v, len, out);
}

static enum el classify(const struct ov_names *nm, enum el parent, const xmlChar *name)
{
    switch (parent) {
    case E_ROOT: return name == nm->VideoAnalytics ? E_VA : E_OTHER;
    case E_VA: return name == nm->Frame ? E_FRAME : E_OTHER;
    case E_FRAME: return name == nm->Transformation ? E_FXF : name == nm->Object ? E_OBJ : E_OTHER;
    case E_FXF:
    case E_OXF: return name == nm->Translate || name == nm->Scale ? E_XF_PART : E_OTHER;
    case E_OBJ: return name == nm->Appearance ? E_APP : E_OTHER;
    case E_APP:
        return name == nm->Transformation     ? E_OXF
               : name == nm->Shape            ? E_SHAPE
               : name == nm->Class            ? E_CLASS
               : name == nm->VehicleInfo      ? E_VINFO
               : name == nm->LicensePlateInfo ? E_LPI
                                              : E_OTHER;
    case E_SHAPE: return name == nm->BoundingBox ? E_BBOX : E_OTHER;
    case E_CLASS: return name == nm->Type ? E_CTYPE : name == nm->ClassCandidate ? E_CAND : E_OTHER;
    case E_CAND:
        return name == nm->Type ? E_CAND_TYPE : name == nm->Likelihood ? E_CAND_LK : E_OTHER;
    case E_VINFO: return name == nm->Type ? E_VTYPE : E_OTHER;
    case E_LPI: return name == nm->PlateNumber ? E_PLATE : E_OTHER;
    default: return E_OTHER;
    }
}

/* A transformation becomes the new top-most system: inner = outer ∘ new. */
static bool compose(struct xf *f, const struct xf *n)
{
    if (n->sx == 0 || n->sy == 0 || fabs(n->sx) > 1e6 || fabs(n->sy) > 1e6 || fabs(n->tx) > 1e6 ||
        fabs(n->ty) > 1e6)
        return false;
    *f = (struct xf){f->sx * n->sx, f->sy * n->sy, f->sx * n->tx + f->tx, f->sy * n->ty + f->ty};
    return true;
}

static void consider_class(struct ov *s, const char *name, size_t n, double lk)
{
    struct ov_obj *o = s->obj;
    if (n == 0) {
        s->dropped++;
        return;
    }
    if (lk > o->cls_lk) {
        if (n >= sizeof o->cls) {
            s->dropped++;
            return;
        }
        memcpy(o->cls, name, n);
        o->cls[n] = '\0';
        o->cls_lk = lk;
    }
}

static void on_start(void *ud, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattr, int ndef, const xmlChar **a)
{
    (void)prefix, (void)nns, (void)ns, (void)ndef;
    struct ov *s = ud;
    if (s->failed)
        return;
    const struct ov_names *nm = &s->nm;
    bool tt = uri == nm->tt;
    if (s->depth == OC_ADAPT_XML_MAX_DEPTH) {
        fail(s, OC_C_DROP_TOO_DEEP);
        return;
    }
    enum el e;
    if (s->depth == 0) {
        if (!tt || local != nm->MetadataStream) {
            fail(s, OC_C_DROP_NOT_OBJECT);
            return;
        }
        e = E_ROOT;
    } else {
        e = tt ? classify(nm, s->stack[s->depth - 1], local) : E_OTHER;
    }
    s->stack[s->depth++] = e;
    s->text_len = 0;
    s->text_over = false;
    size_t len;
    const char *v;
    bool present;
    switch (e) {
    case E_FRAME:
        if (s->n_frames == MAX_FRAMES) {
            fail(s, OC_C_DROP_TOO_LARGE);
            return;
        }
        v = attr(nattr, a, nm->UtcTime, &len);
        if (!v) {
            fail(s, OC_C_DROP_MISSING_FIELD);
            return;
        }
        {
            struct ov_frame *f = &s->frames[s->n_frames];
            if (!oc_adapt_parse_iso8601(v, len, &f->ts)) {
                fail(s, OC_C_DROP_BAD_VALUE);
                return;
            }
            f->first = s->n_objs;
            f->n = 0;
        }
        s->in_frame = true;
        s->fxf = (struct xf){1, 1, 0, 0};
        break;
    case E_FXF:
    case E_OXF: s->part = (struct xf){1, 1, 0, 0}; break;
    case E_XF_PART: {
        bool scale = local == nm->Scale, px, py;
        double x = scale ? 1 : 0, y = x;
        if (!attr_num(s, nattr, a, nm->x, &x, &px) || !attr_num(s, nattr, a, nm->y, &y, &py)) {
            if (s->stack[s->depth - 2] == E_FXF)
                fail(s, OC_C_DROP_BAD_VALUE);
            else if (s->obj)
                s->obj->bad = true, s->obj->why = OC_C_DROP_BAD_VALUE;
            return;
        }
        if (scale)
            s->part.sx = x, s->part.sy = y;
        else
            s->part.tx = x, s->part.ty = y;
        break;
    }
    case E_OBJ: {
        if (s->n_objs == OC_MAX_OBJECTS) {
            fail(s, OC_C_DROP_TOO_LARGE);
            return;
        }
        struct ov_obj *o = &s->objs[s->n_objs];
        memset(o, 0, offsetof(struct ov_obj, idbuf));
        o->cls[0] = o->vtype[0] = o->plate[0] = '\0';
        o->cls_lk = -1;
        o->xf = s->fxf;
        s->obj = o;
        v = attr(nattr, a, nm->ObjectId, &len);
        if (!v) {
            o->bad = true;
            o->why = OC_C_DROP_MISSING_FIELD;
        } else if (!integer(v, len, &o->id)) {
            o->bad = true;
            o->why = OC_C_DROP_BAD_VALUE;
        }
        v = attr(nattr, a, nm->Parent, &len);
        if (v && !(o->has_parent = integer(v, len, &o->parent)))
            s->dropped++;
        break;
    }
    case E_BBOX: {
        const xmlChar *const k[] = {nm->left, nm->top, nm->right, nm->bottom};
        for (int i = 0; i < 4; i++)
            if (!attr_num(s, nattr, a, k[i], &s->obj->box[i], &present) || !present) {
                s->obj->bad = true;
                s->obj->why = OC_C_DROP_BAD_VALUE;
                return;
            }
        s->obj->has_box = true;
        break;
    }
    case E_CTYPE:
        s->cand_lk = 1;
        if (!attr_num(s, nattr, a, nm->Likelihood, &s->cand_lk, &present) || s->cand_lk < 0 ||
            s->cand_lk > 1) {
            s->dropped++;
            s->cand_lk = 1;
        }
        break;
    case E_CAND:
        s->cand_lk = 1;
        s->cand_lk_set = s->cand_type_set = false;
        break;
    default: break;
    }
}

static void on_text(void *ud, const xmlChar *ch, int len)
{
    struct ov *s = ud;
    if (s->failed || s->depth == 0)
        return;
    enum el e = s->stack[s->depth - 1];
    if (e != E_CTYPE && e != E_CAND_TYPE && e != E_CAND_LK && e != E_VTYPE && e != E_PLATE)
        return;
    if (s->text_len + (size_t)len > TEXT_MAX) {
        s->text_over = true;
        return;
    }
    memcpy(s->text + s->text_len, ch, (size_t)len);
    s->text_len += (size_t)len;
    s->text[s->text_len] = '\0';
}

/* The text trimmed of white space; NULL when over the limit. */
static const char *trimmed(struct ov *s, size_t *n)
{
    if (s->text_over)
        return NULL;
    const char *t = s->text;
    size_t len = s->text_len;
    while (len && (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r'))
        t++, len--;
    while (len &&
           (t[len - 1] == ' ' || t[len - 1] == '\t' || t[len - 1] == '\n' || t[len - 1] == '\r'))
        len--;
    *n = len;
    return t;
}

/* "%lld" of v (|v| < 1e15, so it fits buf) without printf's machinery. */
static void id_text(char buf[24], long long v)
{
    char tmp[24];
    size_t n = 0, k = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        buf[k++] = '-';
    while (n)
        buf[k++] = tmp[--n];
    buf[k] = '\0';
}

static void end_object(struct ov *s)
{
    struct ov_obj *o = s->obj;
    const struct oc_camera_cfg *cc = &s->cfg->cameras[s->cam];
    s->obj = NULL;
    o->is_plate = strcasecmp(o->cls, "LicensePlate") == 0;
    if (!o->bad && !o->is_plate && !o->has_box) {
        o->bad = true;
        o->why = OC_C_DROP_MISSING_FIELD;
    }
    if (!o->bad && !o->is_plate) {
        const struct xf f = o->xf;
        double nl = f.sx * o->box[0] + f.tx, nr = f.sx * o->box[2] + f.tx;
        double nt = f.sy * o->box[1] + f.ty, nb = f.sy * o->box[3] + f.ty;
        const double lim = 2.0; /* partly out of view: some cameras report beyond the edge */
        if (fabs(nl) > lim || fabs(nr) > lim || fabs(nt) > lim || fabs(nb) > lim) {
            o->bad = true;
            o->why = OC_C_DROP_BAD_VALUE;
        } else {
            double x1 = round((nl + 1) / 2 * cc->width * 1024) / 1024;
            double x2 = round((nr + 1) / 2 * cc->width * 1024) / 1024;
            double y1 = round((1 - nt) / 2 * cc->height * 1024) / 1024;
            double y2 = round((1 - nb) / 2 * cc->height * 1024) / 1024;
            o->o = (struct oc_obj){.x = fmin(x1, x2),
                                   .y = fmin(y1, y2),
                                   .w = fabs(x2 - x1),
                                   .h = fabs(y2 - y1),
                                   .conf = o->cls_lk >= 0 ? o->cls_lk : 1,
                                   .helmet = OC_HELMET_UNKNOWN};
        }
    }
    if (o->bad) {
        oc_adapt__drop(s->io, s->cam, o->why);
        return;
    }
    struct ov_frame *fr = &s->frames[s->n_frames];
    for (size_t i = fr->first; i < s->n_objs; i++)
        if (s->objs[i].id == o->id) {
            oc_adapt__drop(s->io, s->cam, OC_C_DROP_BAD_VALUE); /* one ObjectId twice */
            return;
        }
    if (!o->is_plate) {
        /* the class: a vehicle's tt:VehicleInfo type when ordercam knows it */
        const char *name = o->vtype[0] ? oc_adapt__class(s->io, onvif_classes, o->vtype) : NULL;
        if (name && name == o->vtype)
            memcpy(o->cls, o->vtype, sizeof o->cls);
        if (!name) {
            if (!o->cls[0])
                strcpy(o->cls, "unknown");
            name = oc_adapt__class(s->io, onvif_classes, o->cls);
        }
        o->o.cls = name && name != o->cls && name != o->vtype ? name : NULL;
    }
    id_text(o->idbuf, o->id);
    s->n_objs++;
    fr->n++;
}

static void on_end(void *ud, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    (void)local, (void)prefix, (void)uri;
    struct ov *s = ud;
    if (s->failed || s->depth == 0)
        return;
    enum el e = s->stack[--s->depth];
    size_t n;
    const char *t;
    double v;
    switch (e) {
    case E_FRAME: s->n_frames++; break;
    case E_FXF:
        if (!compose(&s->fxf, &s->part))
            fail(s, OC_C_DROP_BAD_VALUE);
        break;
    case E_OXF:
        if (s->obj && !compose(&s->obj->xf, &s->part)) {
            s->obj->bad = true;
            s->obj->why = OC_C_DROP_BAD_VALUE;
        }
        break;
    case E_OBJ: end_object(s); break;
    case E_CTYPE:
        if ((t = trimmed(s, &n)))
            consider_class(s, t, n, s->cand_lk);
        else
            s->dropped++;
        break;
    case E_CAND_TYPE:
        if ((t = trimmed(s, &n)) && n > 0 && n < sizeof s->cand_type) {
            memcpy(s->cand_type, t, n);
            s->cand_type[n] = '\0';
            s->cand_type_set = true;
        }
        break;
    case E_CAND_LK:
        if ((t = trimmed(s, &n)) && number(s->memo, t, n, &v) && v >= 0 && v <= 1)
            s->cand_lk = v;
        else
            s->dropped++;
        break;
    case E_CAND:
        if (s->cand_type_set)
            consider_class(s, s->cand_type, strlen(s->cand_type), s->cand_lk);
        else
            s->dropped++;
        break;
    case E_VTYPE:
        if ((t = trimmed(s, &n)) && n > 0 && n < sizeof s->obj->vtype) {
            memcpy(s->obj->vtype, t, n);
            s->obj->vtype[n] = '\0';
        }
        break;
    case E_PLATE:
        t = trimmed(s, &n);
        if (t && n > 0 && n <= OC_PLATE_MAX && !memchr(t, ' ', n)) {
            memcpy(s->obj->plate, t, n);
            s->obj->plate[n] = '\0';
        } else if (!t || n > 0) {
            s->dropped++;
        }
        break;
    default: break;
    }
}

static void on_subset(void *ud, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    (void)name, (void)ext, (void)sys;
    struct ov *s = ud;
    s->dtd = true;
    fail(s, OC_C_DROP_BAD_VALUE); /* no DTDs: no entities at all */
}

static void on_entity_ref(void *ud, const xmlChar *name)
{
    (void)name;
    fail(ud, OC_C_DROP_BAD_VALUE);
}

static void quiet(void *ud, const char *msg, ...)
{
    (void)ud, (void)msg;
}

static xmlSAXHandler sax_handler(void)
{
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = on_start;
    h.endElementNs = on_end;
    h.characters = on_text;
    h.cdataBlock = on_text;
    h.internalSubset = on_subset;
    h.externalSubset = on_subset;
    h.reference = on_entity_ref;
    h.warning = quiet;
    h.error = quiet;
    h.fatalError = quiet;
    return h;
}

static bool intern_names(xmlDictPtr d, struct ov_names *nm)
{
    static const char *const words[] = {TT_NS,
                                        "MetadataStream",
                                        "VideoAnalytics",
                                        "Frame",
                                        "Transformation",
                                        "Object",
                                        "Translate",
                                        "Scale",
                                        "Appearance",
                                        "Shape",
                                        "Class",
                                        "VehicleInfo",
                                        "LicensePlateInfo",
                                        "BoundingBox",
                                        "Type",
                                        "ClassCandidate",
                                        "Likelihood",
                                        "PlateNumber",
                                        "UtcTime",
                                        "x",
                                        "y",
                                        "ObjectId",
                                        "Parent",
                                        "left",
                                        "top",
                                        "right",
                                        "bottom"};
    const xmlChar **slot = &nm->tt;
    _Static_assert(sizeof words / sizeof *words == sizeof(struct ov_names) / sizeof(xmlChar *),
                   "one word per name");
    if (!d)
        return false;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!(slot[i] = xmlDictLookup(d, (const xmlChar *)words[i], -1)))
            return false;
    return true;
}

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

/* Plates to their parents, then each frame to the engine. */
static void emit(struct ov *s)
{
    for (size_t fi = 0; fi < s->n_frames; fi++) {
        struct ov_frame *fr = &s->frames[fi];
        struct ov_obj *objs = &s->objs[fr->first];
        for (size_t i = 0; i < fr->n; i++) {
            if (!objs[i].is_plate)
                continue;
            bool joined = false;
            for (size_t j = 0; j < fr->n && objs[i].has_parent && objs[i].plate[0] && !joined; j++)
                if (!objs[j].is_plate && objs[j].id == objs[i].parent) {
                    memcpy(objs[j].plate, objs[i].plate, sizeof objs[i].plate);
                    joined = true;
                }
            if (!joined)
                s->dropped++;
        }
        size_t k = 0;
        for (size_t i = 0; i < fr->n; i++) {
            if (objs[i].is_plate)
                continue;
            s->out[k] = objs[i].o;
            s->out[k].id = objs[i].idbuf;
            if (!s->out[k].cls)
                s->out[k].cls = objs[i].cls;
            s->out[k].plate = objs[i].plate[0] ? objs[i].plate : NULL;
            k++;
        }
        struct oc_detections det = {.ts = fr->ts, .frame = -1, .objs = s->out, .n_objs = k};
        oc_adapt__detections(s->io, s->cam, &det);
    }
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
    static xmlSAXHandler h;
    if (!h.initialized)
        h = sax_handler();
    if (!s->ctxt) {
        /* no file name: libxml2 would getcwd() for it on every reset */
        s->ctxt = xmlCreatePushParserCtxt(&h, s, NULL, 0, NULL);
        if (s->ctxt && !intern_names(s->ctxt->dict, &s->nm)) {
            xmlFreeParserCtxt(s->ctxt);
            s->ctxt = NULL;
        }
        if (!s->ctxt) {
            oc_adapt__drop(io, cam, OC_C_DROP_TOO_LARGE); /* out of memory */
            return cam;
        }
    } else {
        xmlCtxtResetPush(s->ctxt, NULL, 0, NULL, NULL);
    }
    xmlCtxtUseOptions(s->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    s->io = io;
    s->cam = cam;
    s->depth = 0;
    s->failed = s->dtd = false;
    s->dropped = 0;
    s->n_frames = s->n_objs = 0;
    s->obj = NULL;
    int rc = xmlParseChunk(s->ctxt, in->payload, (int)in->len, 1);
    if (s->failed) {
        oc_adapt__drop(io, cam, s->why);
    } else if (rc != 0 || !s->ctxt->wellFormed) {
        oc_adapt__drop(io, cam, OC_C_DROP_BAD_JSON); /* not a well-formed document */
    } else if (s->n_frames == 0) {
        oc_adapt__drop(io, cam, OC_C_DROP_MISSING_FIELD); /* PTZ or events only */
    } else {
        emit(s);
    }
    if (!s->failed && rc == 0 && s->ctxt->wellFormed)
        oc_adapt__drops(io, cam, OC_C_FIELD_DROPPED, s->dropped);
    return cam;
}

const struct oc_adapt_format oc_adapt_fmt_onvif = {
    .name = "onvif", .json = false, .create = ov_create, .feed = ov_feed, .destroy = ov_destroy};
