#include "swi_err.h"

static const char *const names[SWI_ERR__CNT] = {
        [SWI_OK] = "ok",
        [SWI_ERR_NOMEM] = "out of memory",
        [SWI_ERR_IO] = "I/O error",
        [SWI_ERR_CONFIG] = "configuration error",
        [SWI_ERR_PG] = "PostgreSQL error",
        [SWI_ERR_KAFKA] = "Kafka error",
        [SWI_ERR_REGISTRY_DOWN] = "schema registry unreachable",
        [SWI_ERR_NOT_FOUND] = "not found",
        [SWI_ERR_INVALID_ARG] = "invalid argument",
        [SWI_ERR_CRYPTO] = "cryptographic failure",
        [SWI_ERR_STOPPED] = "stopped",
};

const char *swi_err2str(swi_err_t err)
{
        if ((unsigned)err >= SWI_ERR__CNT)
                return "unknown error";
        return names[err];
}
