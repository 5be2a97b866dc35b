#include "io/h5util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- error stack -------------------------------------------------------- */

void nn_h5_quiet_begin(nn_h5_quiet *q)
{
    if (H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) < 0) {
        q->func = NULL; /* someone used the old H5Eset_auto1: leave it off */
        q->data = NULL;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void nn_h5_quiet_end(const nn_h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

typedef struct innermost {
    char text[320];
    int found;
} innermost;

static herr_t take_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    innermost *in = data;
    (void)n;
    if (in->found)
        return 0;
    if (e->desc && *e->desc) {
        snprintf(in->text, sizeof in->text, "%s", e->desc);
    } else {
        H5E_type_t type;
        if (H5Eget_msg(e->min_num, &type, in->text, sizeof in->text) <= 0)
            return 0;
    }
    in->found = 1;
    return 0;
}

/* The sec2 driver's messages carry a time stamp, descriptor, buffer address
 * and so on ("file write failed: time = ..., errno = 28, error message = 'No
 * space left on device', buf = 0x..."): keep the head and the errno text. */
static void tidy_detail(char *s, size_t len)
{
    const char *key = "error message = '";
    char *m = strstr(s, key);
    if (!m)
        return;
    m += strlen(key);
    char *q = strchr(m, '\'');
    char *colon = strchr(s, ':');
    if (!q || !colon || colon > m)
        return;
    char out[320];
    snprintf(out, sizeof out, "%.*s: %.*s", (int)(colon - s), s, (int)(q - m), m);
    snprintf(s, len, "%s", out);
}

/* Does any entry of the error stack report a checksum mismatch? HDF5 says
 * "data error detected by Fletcher32 checksum" for a dataset's chunk and
 * "incorrect metadata checksum ..." for object headers, heaps and trees. */
static herr_t find_checksum(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    if (e->desc && strstr(e->desc, "checksum"))
        *(int *)data = 1;
    return 0;
}

static int stack_has_checksum_error(void)
{
    int found = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_checksum, &found);
    return found;
}

/* Append tail to err's message, cutting the message short where both do
 * not fit: the tail says what went wrong. */
static void append_tail(nn_error *err, const char *tail)
{
    size_t n = strlen(err->msg), t = strlen(tail);
    if (t > sizeof err->msg - 1)
        t = sizeof err->msg - 1;
    if (n + t > sizeof err->msg - 1)
        n = sizeof err->msg - 1 - t;
    memcpy(err->msg + n, tail, t);
    err->msg[n + t] = '\0';
}

int nn_h5_fail(nn_error *err, int code, const char *fmt, ...)
{
    innermost in = { .found = 0 };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &in);
    int damaged = stack_has_checksum_error();
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    nn_vfail(err, damaged ? NN_E_FORMAT : code, fmt, ap);
    va_end(ap);
    char tail[sizeof in.text + 16] = "";
    if (damaged) {
        snprintf(tail, sizeof tail, ": " NN_H5_DAMAGED);
    } else if (in.found) {
        tidy_detail(in.text, sizeof in.text);
        snprintf(tail, sizeof tail, " (HDF5: %s)", in.text);
    }
    append_tail(err, tail);
    return err->code;
}

int nn_h5_read_fail(nn_error *err, int code, const char *file, const char *what)
{
    if (stack_has_checksum_error())
        return nn_fail(err, NN_E_FORMAT, "%s: %s: " NN_H5_DAMAGED, file, what);
    return nn_h5_fail(err, code, "%s: cannot read %s", file, what);
}

void nn_h5_close(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: break;
    }
    *id = -1;
}

/* ---- files -------------------------------------------------------------- */

hid_t nn_h5_fapl(const char *file, nn_error *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) {
        nn_h5_fail(err, NN_E_IO, "%s: cannot create a file access property list", file);
        return -1;
    }
    if (H5Pset_file_locking(fapl, 1, 1) < 0) {
        nn_h5_fail(err, NN_E_IO, "%s: cannot set the file locking property", file);
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

/* fsync a file or folder (open + fsync + close). File systems that cannot
 * sync a folder say EINVAL; that is not an error. */
static int sync_path(const char *p, int is_dir, nn_error *err)
{
    int fd = open(p, is_dir ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0)
        return nn_fail(err, NN_E_IO, "%s: cannot open to sync: %s", p, strerror(errno));
    int rc = NN_OK;
    if (fsync(fd) != 0 && !(is_dir && (errno == EINVAL || errno == ENOTSUP)))
        rc = nn_fail(err, NN_E_IO, "%s: fsync failed: %s", p, strerror(errno));
    if (close(fd) != 0 && rc == NN_OK)
        rc = nn_fail(err, NN_E_IO, "%s: close failed: %s", p, strerror(errno));
    return rc;
}

static void dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Bob Jenkins' lookup3 hash (hashlittle, public domain) read byte by byte:
 * the checksum HDF5 puts on its metadata. */
#define ROT32(x, k) (((x) << (k)) ^ ((x) >> (32 - (k))))
static uint32_t lookup3(const uint8_t *k, size_t length)
{
    uint32_t a, b, c;
    a = b = c = 0xdeadbeef + (uint32_t)length;
    for (; length > 12; length -= 12, k += 12) {
        a += k[0] + ((uint32_t)k[1] << 8) + ((uint32_t)k[2] << 16) + ((uint32_t)k[3] << 24);
        b += k[4] + ((uint32_t)k[5] << 8) + ((uint32_t)k[6] << 16) + ((uint32_t)k[7] << 24);
        c += k[8] + ((uint32_t)k[9] << 8) + ((uint32_t)k[10] << 16) + ((uint32_t)k[11] << 24);
        a -= c;
        a ^= ROT32(c, 4);
        c += b;
        b -= a;
        b ^= ROT32(a, 6);
        a += c;
        c -= b;
        c ^= ROT32(b, 8);
        b += a;
        a -= c;
        a ^= ROT32(c, 16);
        c += b;
        b -= a;
        b ^= ROT32(a, 19);
        a += c;
        c -= b;
        c ^= ROT32(b, 4);
        b += a;
    }
    switch (length) {
    case 12: c += (uint32_t)k[11] << 24; /* fall through */
    case 11: c += (uint32_t)k[10] << 16; /* fall through */
    case 10: c += (uint32_t)k[9] << 8;   /* fall through */
    case 9: c += k[8];                   /* fall through */
    case 8: b += (uint32_t)k[7] << 24;   /* fall through */
    case 7: b += (uint32_t)k[6] << 16;   /* fall through */
    case 6: b += (uint32_t)k[5] << 8;    /* fall through */
    case 5: b += k[4];                   /* fall through */
    case 4: a += (uint32_t)k[3] << 24;   /* fall through */
    case 3: a += (uint32_t)k[2] << 16;   /* fall through */
    case 2: a += (uint32_t)k[1] << 8;    /* fall through */
    case 1: a += k[0]; break;
    case 0: return c;
    }
    c ^= b;
    c -= ROT32(b, 14);
    a ^= c;
    a -= ROT32(c, 11);
    b ^= a;
    b -= ROT32(a, 25);
    c ^= b;
    c -= ROT32(b, 16);
    a ^= c;
    a -= ROT32(c, 4);
    b ^= a;
    b -= ROT32(a, 14);
    c ^= b;
    c -= ROT32(b, 24);
    return c;
}
#undef ROT32

/* H5Fget_file_image clears the status flags of a version 2 or 3 superblock
 * in the image (the "open for writing" mark) but leaves its checksum as it
 * was (HDF5 1.10), so the image would not open. Recompute the checksum:
 * signature (8), version, size of offsets, size of lengths, flags, four
 * addresses, then the checksum of all that, little-endian. */
static void fix_superblock_checksum(uint8_t *image, size_t size)
{
    if (size < 12 || image[8] < 2)
        return;
    size_t body = 12 + 4 * (size_t)image[9];
    if (body + 4 > size)
        return;
    uint32_t c = lookup3(image, body);
    for (int i = 0; i < 4; i++)
        image[body + (size_t)i] = (uint8_t)(c >> (8 * i));
}

/* Build the file in memory and return its image (malloc'ed). */
static int build_image(const char *path, const char *tmp, size_t size_hint, nn_h5_fill_fn fill,
                       void *ctx, void **image, size_t *size, nn_error *err)
{
    *image = NULL;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fid = -1;
    size_t increment = size_hint < (1u << 16) ? (1u << 16) : size_hint;
    /* The HDF5 1.8 object format: every object header, heap and B-tree
     * carries a checksum, so damage to attributes and structure is found
     * too, and HDF5 1.8 and later still read the file. */
    if (fapl < 0 || H5Pset_fapl_core(fapl, increment, 0) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
        nn_h5_close(&fapl);
        return nn_h5_fail(err, NN_E_IO, "%s: cannot set up the in-memory file driver", path);
    }
    /* No modification times in the object headers (here the root group's,
     * nn_h5_untimed for the rest): the same content then gives the same
     * bytes, so two runs' checkpoints compare equal with cmp. */
    hid_t fcpl = nn_h5_untimed(H5P_FILE_CREATE);
    if (fcpl < 0) {
        nn_h5_close(&fapl);
        return nn_h5_fail(err, NN_E_IO, "%s: cannot set up the file's creation properties", path);
    }
    /* the name only labels the in-memory file; nothing is opened on disk */
    fid = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    nn_h5_close(&fcpl);
    nn_h5_close(&fapl);
    if (fid < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot create the HDF5 file in memory", path);
    int rc = fill(fid, path, ctx, err);
    ssize_t n = -1;
    if (rc == NN_OK && H5Fflush(fid, H5F_SCOPE_LOCAL) < 0)
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot flush the in-memory file", path);
    if (rc == NN_OK && (n = H5Fget_file_image(fid, NULL, 0)) <= 0)
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot get the file image", path);
    if (rc == NN_OK && !(*image = nn_malloc((unsigned long long)n, err)))
        rc = NN_E_NOMEM;
    if (rc == NN_OK && H5Fget_file_image(fid, *image, (size_t)n) != n)
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot copy the file image", path);
    if (rc == NN_OK)
        fix_superblock_checksum(*image, (size_t)n);
    /* In memory: closing cannot meet a full disk. */
    if (H5Fclose(fid) < 0 && rc == NN_OK)
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot close the in-memory file", path);
    if (rc != NN_OK) {
        free(*image);
        *image = NULL;
    }
    *size = (size_t)n;
    return rc;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int nn_h5_save_atomic(const char *path, size_t size_hint, nn_h5_fill_fn fill, void *ctx,
                      nn_error *err)
{
    return nn_h5_save_atomic_commit(path, size_hint, fill, ctx, NULL, NULL, err);
}

int nn_h5_save_atomic_commit(const char *path, size_t size_hint, nn_h5_fill_fn fill, void *ctx,
                             nn_h5_commit_fn commit, void *commit_ctx, nn_error *err)
{
    char tmp[4096], dir[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return nn_fail(err, NN_E_STATE, "%.64s...: file name too long", path);
    dir_of(path, dir, sizeof dir);
    /* Create the temporary first: a missing or read-only folder fails
     * before any work, with the plain errno text. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return nn_fail(err, NN_E_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    void *image = NULL;
    size_t size = 0;
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    int rc = build_image(path, tmp, size_hint, fill, ctx, &image, &size, err);
    nn_h5_quiet_end(&q);
    if (rc == NN_OK && write_all(fd, image, size) != 0)
        rc = nn_fail(err, NN_E_IO, "%s: cannot write %s: %s", path, tmp, strerror(errno));
    free(image);
    if (rc == NN_OK && fsync(fd) != 0)
        rc = nn_fail(err, NN_E_IO, "%s: cannot sync %s: %s", path, tmp, strerror(errno));
    if (close(fd) != 0 && rc == NN_OK) /* NFS reports write errors here */
        rc = nn_fail(err, NN_E_IO, "%s: cannot write %s: %s", path, tmp, strerror(errno));
    if (rc == NN_OK && commit)
        rc = commit(path, tmp, commit_ctx, err);
    else if (rc == NN_OK && rename(tmp, path) != 0)
        rc = nn_fail(err, NN_E_IO, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
    if (rc != NN_OK) {
        unlink(tmp);
        return rc;
    }
    /* The rename is durable only once the folder entry is on disk. */
    rc = sync_path(dir, 1, err);
    if (rc)
        nn_fail_wrap(err, "%s: written, but syncing its folder failed", path);
    return rc;
}

int nn_h5_open(const char *file, unsigned flags, hid_t *fid, nn_error *err)
{
    *fid = -1;
    struct stat st;
    if (stat(file, &st) != 0)
        return nn_fail(err, NN_E_IO, "%s: %s", file, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return nn_fail(err, NN_E_IO, "%s: not a regular file", file);
    htri_t is = H5Fis_hdf5(file);
    if (is < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot read the file", file);
    if (is == 0)
        return nn_fail(err, NN_E_FORMAT, "%s: not an HDF5 file", file);
    hid_t fapl = nn_h5_fapl(file, err);
    if (fapl < 0)
        return err ? err->code : NN_E_IO;
    *fid = H5Fopen(file, flags, fapl);
    int rc = NN_OK;
    if (*fid < 0)
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot open the HDF5 file", file);
    H5Pclose(fapl);
    return rc;
}

int nn_h5_check_format(hid_t fid, const char *file, const char *expected, int max_version,
                       int *version, nn_error *err)
{
    htri_t has = H5Aexists(fid, "format");
    if (has < 0)
        return nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read the root attributes", file);
    if (has == 0)
        return nn_fail(err, NN_E_FORMAT, "%s: no 'format' attribute on / (not an %s file)", file,
                       expected);
    char *fmt = NULL;
    int rc = nn_h5_attr_read_str(fid, file, "/", "format", &fmt, err);
    if (rc)
        return rc;
    if (strcmp(fmt, expected) != 0) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: format attribute is '%.200s', expected '%s'", file, fmt,
                     expected);
        free(fmt);
        return rc;
    }
    free(fmt);
    int v = 0;
    rc = nn_h5_attr_read_scalar(fid, file, "/", "format_version", H5T_INTEGER, H5T_NATIVE_INT, &v,
                                err);
    if (rc)
        return rc;
    if (v > max_version)
        return nn_fail(err, NN_E_FORMAT, "%s: format_version %d is newer than this program (%d)",
                       file, v, max_version);
    if (v < 1)
        return nn_fail(err, NN_E_FORMAT, "%s: format_version %d is not valid", file, v);
    if (version)
        *version = v;
    return NN_OK;
}

int nn_h5_open_format(const char *file, const char *format, int max_version, int *version,
                      hid_t *fid, nn_error *err)
{
    int rc = nn_h5_open(file, H5F_ACC_RDONLY, fid, err);
    if (rc == NN_OK)
        rc = nn_h5_check_format(*fid, file, format, max_version, version, err);
    if (rc != NN_OK)
        nn_h5_close(fid);
    return rc;
}

int nn_h5_load(const char *path, const char *format, int max_version, nn_h5_read_fn read, void *ctx,
               nn_error *err)
{
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int version = 0;
    int rc = nn_h5_open_format(path, format, max_version, &version, &fid, err);
    if (rc == NN_OK)
        rc = read(fid, path, version, ctx, err);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}

hid_t nn_h5_untimed(hid_t plist_class)
{
    hid_t p = H5Pcreate(plist_class);
    if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0)
        nn_h5_close(&p);
    return p;
}

/* ---- checksummed datasets ------------------------------------------------ */

hid_t nn_h5_checked_dcpl(const char *file, const char *name, int rank, const hsize_t *dims,
                         size_t elem, nn_error *err)
{
    hsize_t chunk[H5S_MAX_RANK];
    if (rank < 1 || rank > H5S_MAX_RANK) {
        nn_fail(err, NN_E_STATE, "%s: %s: rank %d cannot be chunked", file, name, rank);
        return -1;
    }
    /* The whole dataset in one chunk when it fits NN_H5_CHUNK_BYTES; else
     * fewer rows (then fewer columns...) per chunk. */
    for (int d = 0; d < rank; d++)
        chunk[d] = dims[d] ? dims[d] : 1;
    for (int d = 0; d < rank; d++) {
        unsigned long long inner = elem;
        for (int k = d + 1; k < rank; k++)
            inner *= chunk[k];
        if (inner * chunk[d] <= NN_H5_CHUNK_BYTES)
            break;
        chunk[d] = inner >= NN_H5_CHUNK_BYTES ? 1 : NN_H5_CHUNK_BYTES / inner;
        if (inner <= NN_H5_CHUNK_BYTES)
            break;
    }
    hid_t dcpl = nn_h5_untimed(H5P_DATASET_CREATE);
    if (dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0) {
        nn_h5_fail(err, NN_E_IO, "%s: cannot set up chunks and checksums for %s", file, name);
        nn_h5_close(&dcpl);
        return -1;
    }
    return dcpl;
}

int nn_h5_write_dataset(hid_t loc, const char *file, const char *name, hid_t ftype, hid_t mtype,
                        int rank, const hsize_t *dims, int extendible, hid_t dcpl, const void *buf,
                        hid_t *dset, nn_error *err)
{
    hsize_t maxdims[H5S_MAX_RANK];
    for (int d = 0; d < rank && d < H5S_MAX_RANK; d++)
        maxdims[d] = d == 0 ? H5S_UNLIMITED : dims[d];
    hid_t space = H5Screate_simple(rank, dims, extendible ? maxdims : NULL);
    hid_t own = dcpl == H5P_DEFAULT ? nn_h5_untimed(H5P_DATASET_CREATE) : -1;
    hid_t ds = space < 0 ? -1
                         : H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, own >= 0 ? own : dcpl,
                                      H5P_DEFAULT);
    nn_h5_close(&own);
    int rc = NN_OK;
    if (ds < 0)
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot create dataset %s", file, name);
    else if (buf && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot write dataset %s", file, name);
    nn_h5_close(&space);
    if (rc != NN_OK || !dset)
        nn_h5_close(&ds);
    if (dset)
        *dset = ds;
    return rc;
}

int nn_h5_has_checksum(hid_t dset)
{
    hid_t dcpl = H5Dget_create_plist(dset);
    int n = dcpl < 0 ? -1 : H5Pget_nfilters(dcpl);
    int has = n < 0 ? -1 : 0;
    for (int i = 0; i < n && has == 0; i++) {
        unsigned flags = 0, info = 0;
        size_t nvals = 0;
        has = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nvals, NULL, 0, NULL, &info) ==
              H5Z_FILTER_FLETCHER32;
    }
    nn_h5_close(&dcpl);
    return has;
}

/* ---- paths and groups --------------------------------------------------- */

int nn_h5_path_exists(hid_t loc, const char *path)
{
    char buf[1024];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, path, n + 1);
    /* H5Lexists fails (rather than saying no) when a parent is missing, so
     * test each prefix in turn. */
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        htri_t e = H5Lexists(loc, buf, H5P_DEFAULT);
        buf[i] = c;
        if (e <= 0)
            return e < 0 ? -1 : 0;
    }
    return 1;
}

/* One step of make_parents: make sure group prefix exists. */
static int make_group(hid_t fid, const char *file, const char *prefix, nn_error *err)
{
    htri_t e = H5Lexists(fid, prefix, H5P_DEFAULT);
    if (e < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot look up group %s", file, prefix);
    if (e > 0) {
        hid_t o = H5Oopen(fid, prefix, H5P_DEFAULT);
        if (o < 0)
            return nn_h5_fail(err, NN_E_IO, "%s: cannot open %s", file, prefix);
        H5I_type_t t = H5Iget_type(o);
        H5Oclose(o);
        if (t != H5I_GROUP)
            return nn_fail(err, NN_E_STATE,
                           "%s: cannot create group %s: a dataset of that name exists "
                           "(two tensor names clash)",
                           file, prefix);
        return NN_OK;
    }
    hid_t gcpl = nn_h5_untimed(H5P_GROUP_CREATE);
    hid_t g = H5Gcreate2(fid, prefix, H5P_DEFAULT, gcpl >= 0 ? gcpl : H5P_DEFAULT, H5P_DEFAULT);
    nn_h5_close(&gcpl);
    if (g < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot create group %s", file, prefix);
    H5Gclose(g);
    return NN_OK;
}

int nn_h5_make_parents(hid_t fid, const char *file, const char *path, nn_error *err)
{
    char buf[1024];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return nn_fail(err, NN_E_STATE, "%s: object name too long: %.64s...", file, path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        int rc = make_group(fid, file, buf, err);
        buf[i] = '/';
        if (rc)
            return rc;
    }
    return NN_OK;
}

/* ---- attributes --------------------------------------------------------- */

int nn_h5_attr_write(hid_t obj, const char *file, const char *objname, const char *name,
                     hid_t ftype, hid_t mtype, hsize_t n, int scalar, const void *buf,
                     nn_error *err)
{
    /* Each step runs only when the one before worked, so the step that
     * failed made the last HDF5 call and its error is still on the stack. */
    hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t attr = space < 0 ? -1 : H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    const char *failed = space < 0                        ? "create a dataspace for"
                         : attr < 0                       ? "create"
                         : H5Awrite(attr, mtype, buf) < 0 ? "write"
                                                          : NULL;
    int rc = failed ? nn_h5_fail(err, NN_E_IO, "%s: cannot %s attribute %s of %s", file, failed,
                                 name, objname)
                    : NN_OK;
    nn_h5_close(&attr);
    nn_h5_close(&space);
    return rc;
}

/* A fixed-length, NUL-terminated UTF-8 string type of `size` bytes. Strings
 * are never variable-length: those live in HDF5's global heap, and HDF5
 * 1.10.8 loops forever on a damaged global heap (found by
 * tests/fuzz/fuzz_io_checkpoint), so a reader refuses them. */
hid_t nn_h5_fixed_utf8(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, size ? size : 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

int nn_h5_attr_write_str(hid_t obj, const char *file, const char *objname, const char *name,
                         const char *value, nn_error *err)
{
    const char *v = value ? value : "";
    hid_t t = nn_h5_fixed_utf8(strlen(v) + 1);
    if (t < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot create a string type", file);
    int rc = nn_h5_attr_write(obj, file, objname, name, t, t, 1, 1, v, err);
    H5Tclose(t);
    return rc;
}

int nn_h5_write_format(hid_t fid, const char *file, const char *format, int version, nn_error *err)
{
    int rc = nn_h5_attr_write_str(fid, file, "/", "format", format, err);
    if (rc == NN_OK)
        rc = nn_h5_attr_write(fid, file, "/", "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, 1, 1,
                              &version, err);
    return rc;
}

/* Open attribute name of obj, which must hold exactly one element (a scalar
 * or a 1-element array), and its type; NN_E_FORMAT when it is missing or
 * holds more. On failure both handles are closed (-1). */
static int attr_open(hid_t obj, const char *file, const char *objname, const char *name,
                     hid_t *attr, hid_t *type, nn_error *err)
{
    *attr = *type = -1;
    htri_t has = H5Aexists(obj, name);
    if (has < 0)
        return nn_h5_fail(err, NN_E_FORMAT, "%s: cannot look up attribute %s of %s", file, name,
                          objname);
    if (has == 0)
        return nn_fail(err, NN_E_FORMAT, "%s: missing attribute %s of %s", file, name, objname);
    *attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (*attr < 0)
        return nn_h5_fail(err, NN_E_FORMAT, "%s: cannot open attribute %s of %s", file, name,
                          objname);
    hid_t space = H5Aget_space(*attr);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    int rc = NN_OK;
    if (space < 0)
        rc =
            nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read attribute %s of %s", file, name, objname);
    else if (n != 1)
        rc = nn_fail(err, NN_E_FORMAT, "%s: attribute %s of %s has %lld values, expected 1", file,
                     name, objname, (long long)n);
    nn_h5_close(&space);
    if (rc == NN_OK)
        *type = H5Aget_type(*attr);
    if (rc != NN_OK)
        nn_h5_close(attr);
    return rc;
}

int nn_h5_attr_read_scalar(hid_t obj, const char *file, const char *objname, const char *name,
                           H5T_class_t want, hid_t mtype, void *buf, nn_error *err)
{
    hid_t attr, type;
    int rc = attr_open(obj, file, objname, name, &attr, &type, err);
    if (rc)
        return rc;
    H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    if (cls != want && !(want == H5T_FLOAT && cls == H5T_INTEGER)) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: attribute %s of %s is not %s", file, name, objname,
                     want == H5T_FLOAT ? "a number" : "an integer");
        goto out;
    }
    if (H5Aread(attr, mtype, buf) < 0)
        rc =
            nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read attribute %s of %s", file, name, objname);
out:
    nn_h5_close(&type);
    nn_h5_close(&attr);
    return rc;
}

int nn_h5_attr_read_str(hid_t obj, const char *file, const char *objname, const char *name,
                        char **out, nn_error *err)
{
    *out = NULL;
    hid_t attr, type, mem = -1;
    int rc = attr_open(obj, file, objname, name, &attr, &type, err);
    if (rc)
        return rc;
    if (type < 0 || H5Tget_class(type) != H5T_STRING) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: attribute %s of %s is not a string", file, name,
                     objname);
        goto out;
    }
    if (H5Tis_variable_str(type) != 0) {
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: attribute %s of %s is a variable-length string; "
                     "nntrain files hold fixed-length strings (damaged or foreign file)",
                     file, name, objname);
        goto out;
    }
    size_t size = H5Tget_size(type);
    mem = H5Tcopy(H5T_C_S1);
    char *s = size > ((size_t)1 << 26) ? NULL : nn_malloc(size + 1, err);
    if (!s) {
        rc = size > ((size_t)1 << 26)
                 ? nn_fail(err, NN_E_FORMAT, "%s: attribute %s of %s claims %zu bytes", file, name,
                           objname, size)
                 : NN_E_NOMEM;
        goto out;
    }
    /* the same character set as the file's (HDF5 converts neither way) */
    if (mem < 0 || H5Tset_size(mem, size + 1) < 0 || H5Tset_strpad(mem, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(mem, H5Tget_cset(type)) < 0 || H5Aread(attr, mem, s) < 0) {
        rc =
            nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read attribute %s of %s", file, name, objname);
        free(s);
        goto out;
    }
    s[size] = '\0';
    *out = s;
    if (!*out && rc == NN_OK)
        rc = nn_fail(err, NN_E_NOMEM, "out of memory reading attribute %s of %s", name, file);
out:
    nn_h5_close(&mem);
    nn_h5_close(&type);
    nn_h5_close(&attr);
    return rc;
}

/* ---- attribute tables ----------------------------------------------------- */

/* The file type, memory type, class and C size of a numeric kind. */
static int kind_types(nn_h5_kind kind, hid_t *ftype, hid_t *mtype, H5T_class_t *cls, size_t *size)
{
    switch (kind) {
    case NN_H5_INT:
        *ftype = H5T_STD_I32LE, *mtype = H5T_NATIVE_INT, *cls = H5T_INTEGER, *size = sizeof(int);
        return 1;
    case NN_H5_INT64:
        *ftype = H5T_STD_I64LE, *mtype = H5T_NATIVE_INT64, *cls = H5T_INTEGER, *size = 8;
        return 1;
    case NN_H5_UINT64:
        *ftype = H5T_STD_U64LE, *mtype = H5T_NATIVE_UINT64, *cls = H5T_INTEGER, *size = 8;
        return 1;
    case NN_H5_DOUBLE:
        *ftype = H5T_IEEE_F64LE, *mtype = H5T_NATIVE_DOUBLE, *cls = H5T_FLOAT, *size = 8;
        return 1;
    default: return 0;
    }
}

/* The types of a numeric table entry; NN_E_STATE when its size does not
 * fit its kind (a table written wrongly). */
static int field_types(const char *file, const nn_h5_field *f, hid_t *ftype, hid_t *mtype,
                       H5T_class_t *cls, nn_error *err)
{
    size_t size = 0;
    if (!kind_types(f->kind, ftype, mtype, cls, &size) || size != f->size)
        return nn_fail(err, NN_E_STATE, "%s: attribute %s: %zu bytes do not fit kind %d", file,
                       f->name, f->size, (int)f->kind);
    return NN_OK;
}

int nn_h5_fields_write(hid_t obj, const char *file, const char *objname, const nn_h5_field *f,
                       int n, const void *base, nn_error *err)
{
    int rc = NN_OK;
    for (int i = 0; i < n && rc == NN_OK; i++) {
        const char *member = (const char *)base + f[i].offset;
        hid_t ftype = -1, mtype = -1;
        H5T_class_t cls = H5T_NO_CLASS;
        if (f[i].kind != NN_H5_TEXT)
            rc = field_types(file, &f[i], &ftype, &mtype, &cls, err);
        if (rc == NN_OK && f[i].kind != NN_H5_TEXT)
            rc = nn_h5_attr_write(obj, file, objname, f[i].name, ftype, mtype, 1, 1, member, err);
        else if (rc == NN_OK && !memchr(member, '\0', f[i].size))
            rc = nn_fail(err, NN_E_STATE, "%s: attribute %s is not terminated", file, f[i].name);
        else if (rc == NN_OK)
            rc = nn_h5_attr_write_str(obj, file, objname, f[i].name, member, err);
    }
    return rc;
}

int nn_h5_fields_read(hid_t obj, const char *file, const char *objname, const nn_h5_field *f, int n,
                      void *base, nn_error *err)
{
    int rc = NN_OK;
    for (int i = 0; i < n && rc == NN_OK; i++) {
        char *member = (char *)base + f[i].offset, *text = NULL;
        hid_t ftype = -1, mtype = -1;
        H5T_class_t cls = H5T_NO_CLASS;
        if (f[i].kind != NN_H5_TEXT)
            rc = field_types(file, &f[i], &ftype, &mtype, &cls, err);
        if (rc == NN_OK && f[i].kind != NN_H5_TEXT)
            rc = nn_h5_attr_read_scalar(obj, file, objname, f[i].name, cls, mtype, member, err);
        else if (rc == NN_OK)
            rc = nn_h5_attr_read_str(obj, file, objname, f[i].name, &text, err);
        if (rc == NN_OK && text)
            snprintf(member, f[i].size, "%s", text);
        free(text);
    }
    return rc;
}

void nn_h5_format_shape(char *buf, size_t len, int rank, const hsize_t *dims)
{
    size_t used = 0;
    buf[0] = '\0';
    if (rank == 0)
        snprintf(buf, len, "scalar");
    for (int i = 0; i < rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%llu", i ? "x" : "",
                                 (unsigned long long)dims[i]);
}
