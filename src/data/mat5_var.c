/* The header of one MAT v5 variable (the content of a miMATRIX element):
 * for a numeric array, its stored data must hold exactly one value per
 * element of its dimensions.
 *
 * Why: when a variable's data block is shorter than its dimensions say,
 * matio reads what there is, leaves the rest of its buffer uninitialised and
 * reports nothing (found by fuzzing under valgrind).
 *
 * Layout: sub-elements, each a tag (type, byte count; or the "small" form,
 * byte count in the upper half of the first word and up to 4 data bytes in
 * the second) and data padded to 8 bytes: array flags (class in the low
 * byte), dimensions (int32 each), name, then the real part. */
#include "data/data_internal.h"

enum { MI_INT8 = 1, MI_INT32 = 5, MI_UINT32 = 6 };
enum { CLASS_DOUBLE = 6, CLASS_UINT64 = 15 }; /* numeric classes: 6..15 */

typedef struct {
    uint32_t type, bytes;
    size_t data, next; /* offsets of its data and of the next sub-element */
} sub_element;

/* Sub-element at offset at of p [avail]; 0 when its tag is not all there. */
static int read_sub(const uint8_t *p, size_t avail, size_t at, int big_endian, sub_element *s)
{
    if (avail < 8 || at > avail - 8)
        return 0;
    uint32_t word = nn_data_rd32(p + at, big_endian);
    if (word >> 16) { /* small form */
        *s = (sub_element){ word & 0xffffu, word >> 16, at + 4, at + 8 };
        return s->bytes <= 4;
    }
    s->type = word;
    s->bytes = nn_data_rd32(p + at + 4, big_endian);
    s->data = at + 8;
    s->next = at + 8 + (((size_t)s->bytes + 7) & ~(size_t)7);
    return 1;
}

/* Bytes per value of a stored numeric type; 0 for anything else. */
static size_t type_size(uint32_t type)
{
    static const unsigned char size[] = { 0, 1, 1, 2, 2, 4, 4, 4, 0, 8, 0, 0, 8, 8 };
    return type < sizeof size ? size[type] : 0;
}

int nn_mat5_check_var(const uint8_t *head, size_t avail, uint64_t length, int big_endian,
                      const char *path, int k, nn_error *err)
{
    sub_element flags, dims, name, real;
    if (!read_sub(head, avail, 0, big_endian, &flags) || flags.type != MI_UINT32 ||
        flags.bytes < 4 || flags.data + 4 > avail)
        return nn_fail(err, NN_E_FORMAT, "%s: corrupt: variable %d has no array flags", path,
                       k + 1);
    uint32_t cls = nn_data_rd32(head + flags.data, big_endian) & 0xffu;
    if (cls < CLASS_DOUBLE || cls > CLASS_UINT64)
        return NN_OK; /* not a numeric array: the loader refuses it by class */
    if (!read_sub(head, avail, flags.next, big_endian, &dims) || dims.type != MI_INT32 ||
        dims.bytes < 8 || dims.bytes % 4 || dims.data + dims.bytes > avail)
        return nn_fail(err, NN_E_FORMAT, "%s: corrupt: variable %d has no dimensions", path, k + 1);
    uint64_t count = 1;
    for (uint32_t d = 0; d < dims.bytes / 4; d++) {
        int32_t n = (int32_t)nn_data_rd32(head + dims.data + 4 * d, big_endian);
        size_t c;
        if (n < 0 || !nn_data_mul((size_t)count, (size_t)n, &c))
            return nn_fail(err, NN_E_FORMAT, "%s: corrupt: variable %d has dimension %d = %d", path,
                           k + 1, (int)d + 1, n);
        count = c;
    }
    if (!read_sub(head, avail, dims.next, big_endian, &name) || name.type != MI_INT8 ||
        !read_sub(head, avail, name.next, big_endian, &real))
        return nn_fail(err, NN_E_FORMAT,
                       "%s: corrupt: variable %d: cannot find its data "
                       "in its first %zu bytes",
                       path, k + 1, avail);
    size_t each = type_size(real.type);
    if (each == 0 || real.bytes % each || real.bytes / each != count ||
        real.data + (uint64_t)real.bytes > length)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: corrupt: variable %d: %u bytes of data (type %u) "
                       "for %llu values%s",
                       path, k + 1, real.bytes, real.type, (unsigned long long)count,
                       real.data + (uint64_t)real.bytes > length ? ", past its end" : "");
    return NN_OK; /* an imaginary part may follow: complex arrays are refused by flag */
}
