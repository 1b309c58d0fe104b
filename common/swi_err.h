/* swi_err.h - the one error enum of swi-stream.
 *
 * Every function below main() that can fail returns swi_err_t (or NULL plus an
 * errstr for constructors). Bad *data* is not an error of this kind: it is a
 * swi_reason_t (transform/event.h) and ends up as a dead letter. */
#ifndef SWI_ERR_H
#define SWI_ERR_H

typedef enum swi_err_e {
        SWI_OK = 0,
        SWI_ERR_NOMEM,         /* allocation failed */
        SWI_ERR_IO,            /* file or socket I/O failed */
        SWI_ERR_CONFIG,        /* invalid configuration */
        SWI_ERR_PG,            /* PostgreSQL call failed (connection, statement) */
        SWI_ERR_KAFKA,         /* Kafka client call failed */
        SWI_ERR_REGISTRY_DOWN, /* schema registry unreachable: retry, never dead-letter */
        SWI_ERR_NOT_FOUND,     /* looked-up thing does not exist */
        SWI_ERR_INVALID_ARG,   /* caller passed something unusable */
        SWI_ERR_CRYPTO,        /* HMAC / random failure */
        SWI_ERR_STOPPED,       /* shutdown was requested */
        SWI_ERR__CNT
} swi_err_t;

/* Returns a static, human-readable name for err ("ok", "out of memory", ...). */
const char *swi_err2str(swi_err_t err);

#endif
