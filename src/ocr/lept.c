/* Leptonica reports problems by printing them. Library code must not print,
 * so its messages are captured instead: the last one is kept (per thread)
 * for error messages that say what Leptonica found wrong. */
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "nn/ocr.h"

static _Thread_local char last[256];

static void keep_message(const char *msg)
{
    snprintf(last, sizeof last, "%s", msg ? msg : "");
    size_t n = strlen(last);
    while (n && (last[n - 1] == '\n' || last[n - 1] == ' '))
        last[--n] = '\0';
}

static void install(void)
{
    leptSetStderrHandler(keep_message);
    /* Warnings too: they precede most failures and say why. */
    setMsgSeverity(L_SEVERITY_WARNING);
}

void nn_lept_quiet(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
    last[0] = '\0';
}

const char *nn_lept_last_message(void) { return last[0] ? last : "no details"; }
