/* pg_trajectory.c - the trajectory step of the PostgreSQL sink; see pg_trajectory.h. */
#include "pg_trajectory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "pg_store.h"
#include "transform/gemeenten.h"
#include "transform/trajectory.h"

/* The (source, event_id) of the events this batch inserted, as a set. */
typedef struct batch_ids_s {
        struct bid_s {
                uint8_t used, source;
                uint8_t id[16];
        } *slot;
        size_t mask;
} batch_ids_t;

static size_t bid_hash(uint8_t source, const uint8_t id[16])
{
        uint64_t h;
        memcpy(&h, id + 8, sizeof(h)); /* random bits of a v4 UUID */
        return (size_t)(h ^ source);
}

static swi_err_t batch_ids(const swi_traj_touch_t *t, size_t n, batch_ids_t *s)
{
        size_t cap = 64;
        while (cap < 2 * n)
                cap <<= 1;
        s->slot = calloc(cap, sizeof(*s->slot));
        if (!s->slot)
                return SWI_ERR_NOMEM;
        s->mask = cap - 1;
        for (size_t i = 0; i < n; i++) {
                if (!t[i].is_new)
                        continue;
                size_t h = bid_hash(t[i].source, t[i].id) & s->mask;
                while (s->slot[h].used)
                        h = (h + 1) & s->mask;
                s->slot[h].used = 1;
                s->slot[h].source = t[i].source;
                memcpy(s->slot[h].id, t[i].id, 16);
        }
        return SWI_OK;
}

static bool batch_ids_has(const batch_ids_t *s, const swi_event_t *e)
{
        uint8_t id[16];
        if (pgio_uuid_parse(e->event_id, id) != 0)
                return false;
        for (size_t h = bid_hash((uint8_t)e->source, id) & s->mask; s->slot[h].used;
             h = (h + 1) & s->mask)
                if (s->slot[h].source == (uint8_t)e->source && memcmp(s->slot[h].id, id, 16) == 0)
                        return true;
        return false;
}

swi_err_t swi_pg_traj_update(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                             swi_traj_stats_t *stats, char *errstr, size_t errstr_size)
{
        static const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};
        pgs_keyset_t ks = {0};
        pgs_loaded_t ld = {0};
        pgs_traj_key_t *keys = NULL;
        int64_t *from_k = NULL, *prev_k = NULL; /* per loaded cluster */
        batch_ids_t ids = {0};
        swi_derived_t der = {0};
        pgs_claimed_t claimed = {0};
        swi_err_t rc = SWI_OK;
        double tp[6] = {0};

        memset(stats, 0, sizeof(*stats));
        if (n == 0)
                return SWI_OK;
        tp[0] = pgio_now_s();
        rc = pgs_touch_keys(touches, n, &ks);
        if (rc == SWI_OK)
                rc = pgs_insert_identity_edges(conn, touches, n, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        tp[1] = pgio_now_s();
        rc = pgs_lock_clusters(conn, &ks, touches, n, errstr, errstr_size);
        /* deferred work of these clusters (migration 020) is done here too */
        if (rc == SWI_OK)
                rc = pgs_claim_pending(conn, &ks, &claimed, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        stats->claimed = (int64_t)claimed.n;
        tp[2] = pgio_now_s();
        rc = pgs_load_clusters(conn, &ks, &ld, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        stats->events_loaded = (int64_t)ld.nev;
        stats->clusters = (int64_t)ld.g.n;

        /* from_k per cluster: the oldest registered_at among the batch's events */
        from_k = malloc((ld.g.n ? ld.g.n : 1) * sizeof(*from_k));
        keys = malloc((swi_idmap_count(ld.map) ? swi_idmap_count(ld.map) : 1) * sizeof(*keys));
        if (!from_k || !keys)
                goto nomem;
        for (size_t c = 0; c < ld.g.n; c++)
                from_k[c] = INT64_MAX;
        for (size_t i = 0; i < n; i++) {
                swi_person_key_t k = {.kind = touches[i].has_bsn ? SWI_PKEY_BSN : SWI_PKEY_VNR};
                memcpy(k.ps, touches[i].has_bsn ? touches[i].bsn_ps : touches[i].vnr_ps,
                       SWI_PSEUDO_LEN);
                long a = swi_idmap_find(ld.map, &k);
                long c = a < 0 ? -1
                               : swi_idgroups_find(&ld.g, ld.map,
                                                   swi_idmap_root(ld.map, (size_t)a));
                if (c >= 0 && touches[i].registered_at < from_k[c])
                        from_k[c] = touches[i].registered_at;
        }
        for (size_t i = 0; i < claimed.n; i++) {
                long a = swi_idmap_find(ld.map, &claimed.v[i].key);
                long c = a < 0 ? -1
                               : swi_idgroups_find(&ld.g, ld.map,
                                                   swi_idmap_root(ld.map, (size_t)a));
                if (c >= 0 && claimed.v[i].from_k < from_k[c])
                        from_k[c] = claimed.v[i].from_k;
        }
        /* newest knowledge time per cluster among the events stored before
         * this batch: versions from from_k on exist only if it is >= from_k */
        prev_k = malloc((ld.g.n ? ld.g.n : 1) * sizeof(*prev_k));
        if (!prev_k || batch_ids(touches, n, &ids) != SWI_OK)
                goto nomem;
        for (size_t c = 0; c < ld.g.n; c++) {
                prev_k[c] = INT64_MIN;
                for (size_t i = ld.g.first[c]; i < ld.g.first[c + 1]; i++) {
                        const swi_event_t *e = ld.g.evp[i];
                        if (e->registered_at > prev_k[c] && !batch_ids_has(&ids, e))
                                prev_k[c] = e->registered_at;
                }
        }
        /* every key of a loaded cluster, with its cluster's from_k (a key of
         * ks without stored events belongs to none) */
        size_t nkeys = 0;
        for (size_t k = 0; k < swi_idmap_count(ld.map); k++) {
                long c = swi_idgroups_find(&ld.g, ld.map, swi_idmap_root(ld.map, k));
                if (c < 0)
                        continue;
                keys[nkeys].key = *swi_idmap_key(ld.map, k);
                keys[nkeys].from_k = from_k[c];
                keys[nkeys].may_have_later = prev_k[c] >= from_k[c];
                nkeys++;
        }

        tp[3] = pgio_now_s();
        /* the rules: transform/derive.h (the live publisher derives its
         * persons at today itself, from the queued keys) */
        for (size_t c = 0; c < ld.g.n; c++) {
                rc = swi_derive_cluster(ld.g.evp + ld.g.first[c], ld.g.first[c + 1] - ld.g.first[c],
                                        from_k[c], SWI_DATE_NONE, &gl, &der,
                                        errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        tp[4] = pgio_now_s();
        rc = pgs_write_trajectories(conn, keys, nkeys, &der, &stats->versions_written, errstr,
                                    errstr_size);
        if (rc != SWI_OK)
                goto done;
        rc = pgs_enqueue_publish(conn, &ks, claimed.oldest_ms, errstr, errstr_size);
        tp[5] = pgio_now_s();
        SWI_LOG_D("trajectory", "step",
                  "clusters=%lld events=%lld claimed=%lld versions=%lld edges_s=%.3f lock_s=%.3f "
                  "load_s=%.3f derive_s=%.3f write_s=%.3f",
                  (long long)stats->clusters, (long long)stats->events_loaded,
                  (long long)stats->claimed,
                  (long long)stats->versions_written, tp[1] - tp[0], tp[2] - tp[1],
                  tp[3] - tp[2], tp[4] - tp[3], tp[5] - tp[4]);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "trajectory step: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        free(ks.v);
        free(claimed.v);
        free(keys);
        free(from_k);
        free(prev_k);
        free(ids.slot);
        swi_derived_free(&der);
        pgs_loaded_free(&ld);
        return rc;
}
