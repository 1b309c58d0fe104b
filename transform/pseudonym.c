#include "pseudonym.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

struct swi_pseudonym_s {
        EVP_MAC *mac;
        EVP_MAC_CTX *ctx; /* keyed once; re-initialised per call without re-keying */
        uint8_t *key;
        size_t key_len;
};

void swi_pseudonym_destroy(swi_pseudonym_t *p)
{
        if (!p)
                return;
        EVP_MAC_CTX_free(p->ctx);
        EVP_MAC_free(p->mac);
        if (p->key) {
                OPENSSL_cleanse(p->key, p->key_len);
                free(p->key);
        }
        free(p);
}

swi_pseudonym_t *swi_pseudonym_new(const uint8_t *key, size_t key_len, char *errstr,
                                   size_t errstr_size)
{
        swi_pseudonym_t *p = NULL;
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end(),
        };

        if (key_len < SWI_PSEUDONYM_KEY_MIN) {
                snprintf(errstr, errstr_size,
                         "pseudonym key has %zu bytes; at least %d are required", key_len,
                         SWI_PSEUDONYM_KEY_MIN);
                return NULL;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                goto nomem;
        p->key = malloc(key_len);
        if (!p->key)
                goto nomem;
        memcpy(p->key, key, key_len);
        p->key_len = key_len;
        p->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (!p->mac)
                goto crypto;
        p->ctx = EVP_MAC_CTX_new(p->mac);
        if (!p->ctx || !EVP_MAC_init(p->ctx, p->key, p->key_len, params))
                goto crypto;
        return p;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        swi_pseudonym_destroy(p);
        return NULL;
crypto:
        snprintf(errstr, errstr_size, "OpenSSL HMAC-SHA-256 is not available");
        swi_pseudonym_destroy(p);
        return NULL;
}

swi_pseudonym_t *swi_pseudonym_new_from(const char *key_file, char *errstr, size_t errstr_size)
{
        uint8_t buf[4096];
        size_t n = 0;
        swi_pseudonym_t *p;

        if (key_file && *key_file) {
                FILE *f = fopen(key_file, "rb");
                if (!f) {
                        snprintf(errstr, errstr_size, "cannot open pseudonym key file %s: %s",
                                 key_file, strerror(errno));
                        return NULL;
                }
                n = fread(buf, 1, sizeof(buf), f);
                fclose(f);
        } else {
                const char *env = getenv(SWI_PSEUDONYM_ENV);
                if (!env || !*env) {
                        snprintf(errstr, errstr_size,
                                 "no pseudonym key: set pseudonym.key.file or the environment "
                                 "variable %s",
                                 SWI_PSEUDONYM_ENV);
                        return NULL;
                }
                n = strlen(env);
                if (n > sizeof(buf))
                        n = sizeof(buf);
                memcpy(buf, env, n);
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                n--;
        p = swi_pseudonym_new(buf, n, errstr, errstr_size);
        OPENSSL_cleanse(buf, sizeof(buf));
        return p;
}

swi_err_t swi_pseudonym_compute(swi_pseudonym_t *p, swi_id_kind_t kind, const char *value,
                                uint8_t out[SWI_PSEUDO_LEN])
{
        const char *prefix = kind == SWI_ID_BSN ? "BSN:" : "VNR:";
        size_t outl = 0;

        if (!EVP_MAC_init(p->ctx, NULL, 0, NULL) ||
            !EVP_MAC_update(p->ctx, (const unsigned char *)prefix, 4) ||
            !EVP_MAC_update(p->ctx, (const unsigned char *)value, strlen(value)) ||
            !EVP_MAC_final(p->ctx, out, &outl, SWI_PSEUDO_LEN) || outl != SWI_PSEUDO_LEN)
                return SWI_ERR_CRYPTO;
        return SWI_OK;
}

swi_err_t swi_pseudonym_apply(swi_pseudonym_t *p, swi_event_t *ev)
{
        swi_err_t rc = SWI_OK;

        if (ev->has_bsn) {
                rc = swi_pseudonym_compute(p, SWI_ID_BSN, ev->bsn, ev->bsn_ps);
                if (rc != SWI_OK)
                        goto done;
                ev->has_bsn_ps = true;
        }
        if (ev->has_vnr) {
                rc = swi_pseudonym_compute(p, SWI_ID_VNR, ev->vnr, ev->vnr_ps);
                if (rc != SWI_OK)
                        goto done;
                ev->has_vnr_ps = true;
        }
done:
        /* Raw values are wiped whatever happened: they must not travel further. */
        OPENSSL_cleanse(ev->bsn, sizeof(ev->bsn));
        OPENSSL_cleanse(ev->vnr, sizeof(ev->vnr));
        ev->has_bsn = ev->has_vnr = false;
        return rc;
}

void swi_pseudonym_hex(const uint8_t ps[SWI_PSEUDO_LEN], char out[2 * SWI_PSEUDO_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < SWI_PSEUDO_LEN; i++) {
                out[2 * i] = hex[ps[i] >> 4];
                out[2 * i + 1] = hex[ps[i] & 15];
        }
        out[2 * SWI_PSEUDO_LEN] = '\0';
}
