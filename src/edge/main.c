/* ordercamd: the edge daemon (docs/daemon.md). main owns the daemon's
 * state (struct oc_daemon, oc_daemon.h) and only wires the modules
 * together: options, signals, start, the engine thread's loop, stop. The
 * daemon's glue lives in the oc_d* files (oc_daemon.h lists them). Threads
 * meet only through bounded, counted structures:
 *   MQTT thread     receive → journal append → rx queue (full: drop, counted)
 *                   → record file (oc_recv; the snapshot-URL thread too)
 *   engine thread   rx queue → oc_dfeed: input-format dispatcher (oc_adapt)
 *                   → engine → oc_dsink: outbox (spool, violations.jsonl,
 *                   evidence), frame ring; oc_dtick: ticks for silent
 *                   cameras; oc_drecover: snapshots; metrics text
 *   metrics thread  (oc_metrics) serves the last metrics text
 * plus the uplink and the evidence worker, each on its own thread. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <curl/curl.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ordercam/oc_font.h"
#include "oc_boxkey.h"
#include "oc_daemon.h"
#include "oc_dfeed.h"
#include "oc_drecover.h"
#include "oc_dreload.h"
#include "oc_dsink.h"
#include "oc_dthreads.h"
#include "oc_dtick.h"
#include "oc_recover.h"

#define EXIT_USAGE 2

/* Set by signal handlers; read by the engine thread. */
static volatile sig_atomic_t got_term, got_hup;

static void log_drops(struct oc_daemon *d)
{
    char line[768] = "";
    size_t n = 0;
    for (int c = 0; c < OC_C__COUNT; c++) {
        if (!oc_counter_is_drop((enum oc_counter)c))
            continue;
        uint64_t now = oc_engine_counter(d->eng, (enum oc_counter)c);
        if (now > d->last_drops[c] && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, " %s %" PRIu64,
                                  oc_counter_reason((enum oc_counter)c), now - d->last_drops[c]);
        d->last_drops[c] = now;
    }
    if (n)
        LOG(d, WARNING, "bad input in the last minute:%s", line);
}

/* Once a second: held records, silent cameras, evidence disk, metrics. */
static void every_second(struct oc_daemon *d)
{
    oc_outbox_flush_held(d->outbox);
    oc_dtick_silent(d);
    if (d->evwork) {
        oc_outbox_enforce_limit(d->outbox);
        oc_dsink_note_pause(d);
    }
    oc_dthreads_publish_metrics(d);
}

static void run(struct oc_daemon *d)
{
    int64_t last_tick = oc_daemon_mono_ms(), last_snap = oc_daemon_mono_ms(),
            last_drop_log = oc_daemon_mono_ms();
    int64_t stop_at = 0;
    for (;;) {
        if (got_term && !stop_at) {
            LOG(d, NOTICE, "stopping: draining the queue");
            oc_mqtt_stop(d->mqtt); /* no more input; what was received is processed */
            d->mqtt = NULL;
            oc_snapurl_stop(d->snap);
            d->snap = NULL;
            stop_at = oc_daemon_mono_ms();
        }
        if (got_hup) {
            got_hup = 0;
            oc_dreload(d);
        }
        struct oc_rxmsg *m = oc_rxq_pop(d->rxq, stop_at ? 0 : 100);
        if (m) {
            oc_dfeed_apply(d, m->seq, m->rx_ms, m->topic, m->topic_len, m->payload, m->len);
            free(m);
        } else if (stop_at) {
            break;
        } else {
            /* a held DeepStream frame is due OC_ADAPT_DS_WAIT_MS after it came */
            oc_adapt_tick(d->adapt, oc_daemon_wall_ms());
            oc_dtick_note_clocks(d);
        }
        oc_dsink_collect_evidence(d);
        int64_t now = oc_daemon_mono_ms();
        oc_live_poll(d->live, d->cfg, d->eng, now, oc_daemon_wall_ms());
        if (now - last_tick >= 1000) {
            last_tick = now;
            every_second(d);
        }
        if (now - last_drop_log >= 60000) {
            last_drop_log = now;
            log_drops(d);
        }
        /* never while violations wait in memory: a snapshot past them would
         * keep a restart from establishing them again; nor while an adapter
         * holds a message the engine has not seen (a DeepStream frame) */
        if (now - last_snap >= (int64_t)d->ecfg->snapshot_s * 1000 &&
            d->applied != d->applied_at_snapshot && !oc_outbox_held(d->outbox) &&
            oc_adapt_idle(d->adapt)) {
            last_snap = now;
            if (oc_drecover_save(d) != 0)
                LOG(d, ERR, "cannot save the engine snapshot: %s", strerror(errno));
        }
    }
    oc_adapt_flush(d->adapt); /* what an adapter holds is passed on */
    oc_dtick_note_clocks(d);
    oc_outbox_flush_held(d->outbox);
    if (d->keeper) /* evidence still waiting for frames gets what there is */
        oc_evidence_flush(d->keeper);
    oc_evwork_stop(d->evwork);
    oc_dsink_collect_evidence(d);
    if (oc_outbox_held(d->outbox))
        LOG(d, CRIT,
            "exiting with %zu violations the spool could not take; the journal keeps what it "
            "could",
            oc_outbox_held(d->outbox));
    else
        oc_drecover_save(d);
    log_drops(d);
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ordercamd -c EDGE.json [--check] [--record FILE] [--log-level 0-7]\n"
               "  --check        validate the config and exit\n"
               "  --record FILE  also write every processed message to an event log\n"
               "  --print-key    print the box's signing public key (made on first use) and exit\n"
               "  SIGHUP reloads the config (a bad file keeps the running one); SIGTERM drains and "
               "exits\n");
}

static void warn_line(void *ud, const char *msg)
{
    struct oc_daemon *d = ud;
    LOG(d, WARNING, "%s: %s", d->config_path, msg);
}

/* Rules a camera's input format cannot feed soundly (docs/inputs.md):
 * warnings, not errors. */
static void warn_sparse_inputs(struct oc_daemon *d)
{
    oc_adapt_lint(d->cfg, warn_line, d);
}

/* --check: the config, and the caption font when evidence is on. */
static int check_config(struct oc_daemon *d)
{
    char err[768];
    struct oc_font *font = NULL;
    int rc = 0;
    if (d->ecfg->evidence.enabled &&
        !(font = oc_font_open(d->ecfg->evidence.font, err, sizeof err))) {
        fprintf(stderr, "<%d>ordercamd: %s: evidence.font: %s\n", OC_LOG_ERR, d->config_path, err);
        rc = 1;
    } else {
        warn_sparse_inputs(d);
        printf("%s: ok (%zu cameras, %zu signals)\n", d->config_path, d->cfg->n_cameras,
               d->cfg->n_signals);
    }
    oc_font_free(font);
    oc_ecfg_free(d->ecfg);
    return rc;
}

/* Everything the engine thread needs before recovery. */
static int open_state(struct oc_daemon *d)
{
    char err[768];
    if (mkdir(d->ecfg->spool_dir, 0755) != 0 && errno != EEXIST) {
        LOG(d, ERR, "cannot create %s: %s", d->ecfg->spool_dir, strerror(errno));
        return -1;
    }
    if (!(d->spool = oc_spool_open(d->ecfg->spool_dir, err, sizeof err))) {
        LOG(d, ERR, "%s", err);
        return -1;
    }
    if (d->ecfg->evidence.enabled && oc_dsink_evidence_dir(d) != 0)
        return -1;
    struct oc_outbox_opts oo = {.log = &d->log,
                                .dc = &d->dc,
                                .spool = d->spool,
                                .spool_dir = d->ecfg->spool_dir,
                                .evidence_dir = d->evidence_dir,
                                .spool_max_mb = d->ecfg->spool_max_mb};
    if (!(d->outbox = oc_outbox_open(&oo, d->cfg))) {
        LOG(d, ERR, "cannot open %s/violations.jsonl: %s", d->ecfg->spool_dir, strerror(errno));
        return -1;
    }
    if (!(d->journal = oc_journal_open(d->ecfg->spool_dir, err, sizeof err))) {
        LOG(d, ERR, "%s", err);
        return -1;
    }
    if (d->record_path && !(d->record = oc_recfile_open(d->record_path))) {
        LOG(d, ERR, "cannot open %s: %s", d->record_path, strerror(errno));
        return -1;
    }
    return d->ecfg->evidence.enabled ? oc_dsink_start_evidence(d) : 0;
}

static int start(struct oc_daemon *d)
{
    d->cfg_hash = oc_recover_digest(d->config_path);
    d->sink = oc_dsink_engine;
    struct oc_daemon_arrays a = {0};
    d->rx_max_msgs = d->ecfg->rx_queue_msgs;
    d->rx_max_bytes = d->ecfg->rx_queue_bytes;
    d->rxq = oc_rxq_new(d->rx_max_msgs, d->rx_max_bytes);
    d->eng = oc_engine_new(d->cfg, &d->sink, d);
    d->adapt = oc_adapt_new(d->cfg, &oc_dfeed_adapt_sink, d);
    int ok = oc_daemon_arrays_new(&a, d->cfg) == 0;
    free(a.next);
    d->by_type = a.by_type;
    d->anchor_wall = a.aw;
    d->anchor_clock = a.ac;
    if (!ok || !d->rxq || !d->eng || !d->adapt) {
        LOG(d, ERR, "out of memory");
        return -1;
    }
    if (open_state(d) != 0)
        return -1;
    struct oc_recv_opts ro = {.journal = d->journal,
                              .rxq = d->rxq,
                              .max_msgs = d->rx_max_msgs,
                              .max_bytes = d->rx_max_bytes,
                              .record = d->record,
                              .dc = &d->dc};
    if (!(d->recv = oc_recv_new(&ro))) {
        LOG(d, ERR, "out of memory");
        return -1;
    }
    oc_recv_set_prefix(d->recv, d->cfg->topic_prefix);
    if (oc_drecover_start(d) != 0)
        return -1;
    oc_dthreads_uplink(d);
    if (oc_dthreads_metrics(d) != 0 || oc_dthreads_mqtt(d) != 0 || oc_dthreads_snapurl(d) != 0)
        return -1;
    warn_sparse_inputs(d);
    LOG(d, NOTICE, "started %s: box %s, %zu cameras, spool %s", OC_VERSION, d->cfg->box_id,
        d->cfg->n_cameras, d->ecfg->spool_dir);
    return 0;
}

static void stop(struct oc_daemon *d)
{
    oc_mqtt_stop(d->mqtt);
    oc_snapurl_stop(d->snap);
    oc_uplink_stop(d->uplink);
    oc_metrics_stop(d->metrics);
    oc_live_free(d->live);
    oc_recfile_close(d->record);
    oc_outbox_close(d->outbox);
    oc_recv_free(d->recv);
    oc_journal_close(d->journal);
    oc_adapt_free(d->adapt);
    oc_engine_free(d->eng);
    oc_evidence_free(d->keeper);
    oc_evwork_free(d->evwork);
    free(d->evidence_dir);
    oc_spool_close(d->spool);
    oc_rxq_free(d->rxq);
    free(d->by_type);
    free(d->anchor_wall);
    free(d->anchor_clock);
    oc_ecfg_free(d->ecfg);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
        {"record", required_argument, NULL, 'r'}, {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {"print-key", no_argument, NULL, 'P'},    {NULL, 0, NULL, 0}};
    struct oc_daemon d = {.log = {.max_level = OC_LOG_INFO}};
    int check = 0, ch;
    while ((ch = getopt_long(argc, argv, "c:kr:l:hV", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': d.config_path = optarg; break;
        case 'k': check = 1; break;
        case 'r': d.record_path = optarg; break;
        case 'l': d.log.max_level = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("ordercamd %s\n", OC_VERSION); return 0;
        case 'P': check = 2; break;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (!d.config_path || optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char err[768];
    if (!(d.ecfg = oc_ecfg_load(d.config_path, err, sizeof err))) {
        fprintf(stderr, "<%d>ordercamd: %s\n", OC_LOG_ERR, err);
        return 1;
    }
    d.cfg = d.ecfg->scene;
    if (check == 2) /* --print-key: the box's public key, made on first use */
    {
        int pr = oc_boxkey_print(d.ecfg->spool_dir, d.cfg->box_id, stdout, stderr);
        oc_ecfg_free(d.ecfg);
        return pr;
    }
    if (check)
        return check_config(&d);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread starts */
    int rc = 1;
    if (start(&d) == 0) {
        run(&d);
        LOG(&d, NOTICE, "stopped");
        rc = 0;
    }
    stop(&d);
    mosquitto_lib_cleanup();
    curl_global_cleanup();
    return rc;
}
