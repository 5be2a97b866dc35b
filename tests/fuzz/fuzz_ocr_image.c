/* The OCR's image path on arbitrary bytes: decoding (Leptonica: PNG, JPEG,
 * ...; EXIF orientation), grayscale, then page segmentation. Inputs larger
 * than a few hundred pixels a side are cut short by the fuzzer's length
 * limit, so this exercises decoding and small pages. */
#include <leptonica/allheaders.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "nn/ocr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) { /* Leptonica's own messages are not findings */
        setMsgSeverity(L_SEVERITY_NONE);
        quiet = 1;
    }
    nn_exif_orientation(data, size);
    struct Pix *gray = NULL;
    nn_error err;
    if (nn_ocr_read_gray(fuzz_file("img", data, size), &gray, &err) != NN_OK)
        return 0;
    nn_ocr_page page;
    if (nn_ocr_segment(gray, &page, &err) == NN_OK)
        nn_ocr_page_free(&page);
    pixDestroy(&gray);
    return 0;
}
