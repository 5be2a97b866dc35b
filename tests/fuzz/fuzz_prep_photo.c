/* A photos source's image path on arbitrary bytes: the JPEG/PNG checks
 * (format, truncation, header, channels), decoding at a reduced size,
 * EXIF orientation, scaling and the centre crop into a square that ASan
 * bounds. Any outcome but a crash or a hang is fine. */
#include <leptonica/allheaders.h>
#include <stdint.h>
#include <stdlib.h>

#include "data/prep/prep_internal.h"
#include "fuzz_common.h"

enum { SIDE = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) { /* Leptonica's own messages are not findings */
        setMsgSeverity(L_SEVERITY_NONE);
        quiet = 1;
    }
    uint8_t *out = malloc(3 * SIDE * SIDE); /* on the heap, so ASan sees overruns */
    if (!out)
        abort();
    nn_error err;
    prep_photo_read(fuzz_file("photo", data, size), SIDE + 4, SIDE, out, &err);
    free(out);
    return 0;
}
