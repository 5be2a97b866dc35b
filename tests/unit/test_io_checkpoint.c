/* HDF5 checkpoints: round trip, atomic overwrite, failed saves that leave
 * the old file intact, clear load errors, checksums that catch a flipped
 * byte, older checkpoints kept, format 1 files still read, and the layout
 * h5dump shows. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/h5util.h"
#include "nn/checkpoint.h"
#include "testh5.h"
#include "testutil.h"

#define CONFIG_TEXT \
    "[net]\nbatch = 32\n# d\xc3\xa9j\xc3\xa0 vu: UTF-8 survives\n\n[fc1]\nunits = 64\n"

/* Every HDF5 handle the library opened must be closed again. */
#define ASSERT_NO_OPEN_HANDLES() \
    ck_assert_int_eq((int)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0)

/* ---- fixture: a small network's worth of tensors ---------------------------- */

enum { N_T = 6 };

typedef struct fixture {
    nn_named_tensor t[N_T];
    nn_checkpoint ck;
} fixture;

static void set_tensor(nn_named_tensor *t, const char *name, int rank, const uint64_t *dims,
                       float base)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = rank;
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        t->dims[i] = dims[i];
        n *= dims[i];
    }
    t->data = malloc(n * sizeof(float));
    ck_assert_ptr_nonnull(t->data);
    for (size_t i = 0; i < n; i++)
        t->data[i] = base + 0.001f * (float)i - (float)(i % 7);
}

static size_t numel(const nn_named_tensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= t->dims[i];
    return n;
}

/* rank 1..4, model and optimizer state; base shifts all values (version A/B) */
static void fixture_init(fixture *f, float base)
{
    static const uint64_t w[] = { 1024, 64 }, b[] = { 64 }, w2[] = { 64, 36 }, b2[] = { 36 },
                          conv[] = { 8, 3, 3, 3 }, cube[] = { 3, 4, 5 };
    set_tensor(&f->t[0], "model/fc1/W", 2, w, base);
    set_tensor(&f->t[1], "model/fc1/b", 1, b, base + 1);
    set_tensor(&f->t[2], "model/fc2/W", 2, w2, base + 2);
    set_tensor(&f->t[3], "model/fc2/b", 1, b2, base + 3);
    set_tensor(&f->t[4], "model/conv1/W", 4, conv, base + 4);
    set_tensor(&f->t[5], "optim/m/fc2/b3d", 3, cube, base + 5);
    f->t[1].data[0] = NAN; /* stored bit for bit */
    f->t[1].data[1] = -INFINITY;
    f->t[1].data[2] = -0.0f;
    memset(&f->ck, 0, sizeof f->ck);
    f->ck.tensors = f->t;
    f->ck.n_tensors = N_T;
    f->ck.epoch = 7;
    f->ck.step = 3;
    f->ck.global_step = 1234567890123LL;
    f->ck.seed = 0xFEDCBA9876543210ULL; /* > INT64_MAX: must stay unsigned */
    f->ck.world_size = 3;
    f->ck.lr = 0.0125 + base;
    f->ck.config_text = CONFIG_TEXT;
    f->ck.config_path = "jobs/mlp nist36.ini";
}

/* Same names and shapes, zeroed data and scalars: a target to load into. */
static void fixture_blank(fixture *dst, const fixture *src)
{
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < N_T; i++) {
        dst->t[i] = src->t[i];
        dst->t[i].data = calloc(numel(&src->t[i]), sizeof(float));
        ck_assert_ptr_nonnull(dst->t[i].data);
    }
    dst->ck.tensors = dst->t;
    dst->ck.n_tensors = N_T;
}

static void fixture_free(fixture *f)
{
    for (int i = 0; i < N_T; i++)
        free(f->t[i].data);
}

static void assert_same(const fixture *a, const fixture *b)
{
    for (int i = 0; i < N_T; i++) {
        ck_assert_int_eq(a->t[i].rank, b->t[i].rank);
        ck_assert_mem_eq(a->t[i].data, b->t[i].data, numel(&a->t[i]) * sizeof(float));
    }
    ck_assert_int_eq(a->ck.epoch, b->ck.epoch);
    ck_assert_int_eq(a->ck.step, b->ck.step);
    ck_assert_int_eq(a->ck.global_step, b->ck.global_step);
    ck_assert_uint_eq(a->ck.seed, b->ck.seed);
    ck_assert_int_eq(a->ck.world_size, b->ck.world_size);
    ck_assert(a->ck.lr == b->ck.lr);
}

/* Save a fresh fixture with the given base to path. */
static void save_version(const char *path, float base)
{
    fixture f;
    fixture_init(&f, base);
    nn_error err = { 0 };
    int rc = nn_checkpoint_save(path, &f.ck, &err);
    ck_assert_msg(rc == NN_OK, "save %s: %s", path, err.msg);
    fixture_free(&f);
}

/* Load path and check it holds the version saved with base. */
static void assert_holds_version(const char *path, float base)
{
    fixture want, got;
    fixture_init(&want, base);
    fixture_blank(&got, &want);
    nn_error err = { 0 };
    int rc = nn_checkpoint_load(path, &got.ck, &err);
    ck_assert_msg(rc == NN_OK, "load %s: %s", path, err.msg);
    assert_same(&want, &got);
    fixture_free(&want);
    fixture_free(&got);
    ASSERT_NO_OPEN_HANDLES();
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    buf[len] = '\0';
    *n = (size_t)len;
    return buf;
}

static void assert_msg_has(const nn_error *err, const char *part)
{
    ck_assert_msg(strstr(err->msg, part) != NULL, "message '%s' lacks '%s'", err->msg, part);
}

/* ---- round trip --------------------------------------------------------------- */

START_TEST(test_roundtrip)
{
    const char *path = nn_test_path("ckpt_roundtrip.h5");
    save_version(path, 0.5f);
    ck_assert(!file_exists(nn_test_path("ckpt_roundtrip.h5.tmp")));
    ASSERT_NO_OPEN_HANDLES();
    assert_holds_version(path, 0.5f);

    char *text = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_checkpoint_read_config(path, &text, &err), NN_OK);
    ck_assert_str_eq(text, CONFIG_TEXT);
    free(text);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

START_TEST(test_load_subset)
{
    /* fine-tuning asks for the model tensors only */
    const char *path = nn_test_path("ckpt_subset.h5");
    save_version(path, 0.0f);
    fixture want, got;
    fixture_init(&want, 0.0f);
    fixture_blank(&got, &want);
    got.ck.n_tensors = 2;
    nn_error err = { 0 };
    ck_assert_msg(nn_checkpoint_load(path, &got.ck, &err) == NN_OK, "%s", err.msg);
    ck_assert_mem_eq(want.t[0].data, got.t[0].data, numel(&want.t[0]) * sizeof(float));
    ck_assert_int_eq(got.ck.epoch, 7);
    fixture_free(&want);
    fixture_free(&got);
}
END_TEST

START_TEST(test_null_config)
{
    /* no config text: stored as "" rather than failing */
    const char *path = nn_test_path("ckpt_noconfig.h5");
    fixture f;
    fixture_init(&f, 0.0f);
    f.ck.config_text = NULL;
    f.ck.config_path = NULL;
    nn_error err = { 0 };
    ck_assert_msg(nn_checkpoint_save(path, &f.ck, &err) == NN_OK, "%s", err.msg);
    char *text = NULL;
    ck_assert_int_eq(nn_checkpoint_read_config(path, &text, &err), NN_OK);
    ck_assert_str_eq(text, "");
    free(text);
    fixture_free(&f);
}
END_TEST

/* ---- atomic overwrite ------------------------------------------------------------ */

START_TEST(test_overwrite_replaces_by_rename)
{
    const char *path = nn_test_path("ckpt_overwrite.h5");
    const char *tmp = nn_test_path("ckpt_overwrite.h5.tmp");
    save_version(path, 1.0f);
    struct stat before, after;
    ck_assert_int_eq(stat(path, &before), 0);
    /* a stale temporary from a crashed run is simply overwritten */
    ck_assert_int_eq(nn_test_write_file(tmp, "junk", 4), 0);
    save_version(path, 2.0f);
    ck_assert_int_eq(stat(path, &after), 0);
    /* a new inode: the old file was never written in place */
    ck_assert(before.st_ino != after.st_ino);
    ck_assert(!file_exists(tmp));
    assert_holds_version(path, 2.0f);
}
END_TEST

/* Try to save a version that fails; the old file must be byte-identical,
 * still load, and no temporary may be left. */
static void assert_failed_save_keeps_old(const char *name, void (*spoil)(fixture *), int want_code,
                                         const char *want_msg)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s", nn_test_path(name));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    save_version(path, 1.0f);
    size_t n_old;
    char *old = slurp(path, &n_old);

    fixture f;
    fixture_init(&f, 2.0f);
    spoil(&f);
    nn_error err = { 0 };
    int rc = nn_checkpoint_save(path, &f.ck, &err);
    fixture_free(&f);
    ck_assert_msg(rc == want_code, "save returned %d (%s), expected %d", rc, err.msg, want_code);
    assert_msg_has(&err, want_msg);
    ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "message '%s' should name %s", err.msg,
                  path);
    ck_assert_msg(!file_exists(tmp), "%s left behind", tmp);
    ASSERT_NO_OPEN_HANDLES();

    size_t n_now;
    char *now = slurp(path, &n_now);
    ck_assert_uint_eq(n_now, n_old);
    ck_assert_mem_eq(now, old, n_old);
    free(now);
    free(old);
    assert_holds_version(path, 1.0f);
}

/* the last tensor's group is an earlier dataset: fails halfway through */
static void spoil_clash(fixture *f) { snprintf(f->t[5].name, NN_TENSOR_NAME_LEN, "model/fc1/W/m"); }
static void spoil_empty_part(fixture *f) { snprintf(f->t[2].name, NN_TENSOR_NAME_LEN, "model//W"); }
static void spoil_dotdot(fixture *f) { snprintf(f->t[2].name, NN_TENSOR_NAME_LEN, "model/../W"); }
static void spoil_duplicate(fixture *f)
{
    snprintf(f->t[3].name, NN_TENSOR_NAME_LEN, "model/fc2/W");
}
static void spoil_rank(fixture *f) { f->t[4].rank = 5; }
static void spoil_zero_dim(fixture *f) { f->t[4].dims[1] = 0; }

START_TEST(test_failed_save_name_clash)
{
    assert_failed_save_keeps_old("ckpt_fail_clash.h5", spoil_clash, NN_E_STATE,
                                 "cannot create group /model/fc1/W: a dataset");
}
END_TEST

START_TEST(test_failed_save_bad_arguments)
{
    assert_failed_save_keeps_old("ckpt_fail_args.h5", spoil_empty_part, NN_E_STATE,
                                 "invalid tensor name 'model//W': it has an empty path component");
    assert_failed_save_keeps_old("ckpt_fail_args.h5", spoil_dotdot, NN_E_STATE,
                                 "invalid tensor name 'model/../W'");
    assert_failed_save_keeps_old("ckpt_fail_args.h5", spoil_duplicate, NN_E_STATE,
                                 "tensor name 'model/fc2/W' appears twice");
    assert_failed_save_keeps_old("ckpt_fail_args.h5", spoil_rank, NN_E_STATE,
                                 "tensor model/conv1/W has rank 5, expected 1..4");
    assert_failed_save_keeps_old("ckpt_fail_args.h5", spoil_zero_dim, NN_E_STATE,
                                 "tensor model/conv1/W has a zero dimension");
}
END_TEST

/* A full disk, simulated with a file size limit: writes past it fail with
 * EFBIG just as they would with ENOSPC. */
static struct rlimit saved_limit;
static void (*saved_handler)(int);

static void limit_file_size(void)
{
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
    saved_handler = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved_limit;
    small.rlim_cur = 100 * 1024; /* the 1024x64 tensor alone is 256 KiB */
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
}

START_TEST(test_failed_save_disk_full)
{
    const char *path = nn_test_path("ckpt_fail_full.h5");
    /* the old file exists before the limit, and must be left alone */
    save_version(path, 1.0f);
    size_t n_old;
    char *old = slurp(path, &n_old);
    limit_file_size();
    fixture f;
    fixture_init(&f, 2.0f);
    nn_error err = { 0 };
    int rc = nn_checkpoint_save(path, &f.ck, &err);
    setrlimit(RLIMIT_FSIZE, &saved_limit);
    signal(SIGXFSZ, saved_handler);
    fixture_free(&f);
    printf("disk full: %s\n", err.msg);
    ck_assert_int_eq(rc, NN_E_IO);
    assert_msg_has(&err, "ckpt_fail_full.h5: cannot write ");
    assert_msg_has(&err, "ckpt_fail_full.h5.tmp: File too large");
    ck_assert(!file_exists(nn_test_path("ckpt_fail_full.h5.tmp")));
    ASSERT_NO_OPEN_HANDLES();
    size_t n_now;
    char *now = slurp(path, &n_now);
    ck_assert_uint_eq(n_now, n_old);
    ck_assert_mem_eq(now, old, n_old);
    free(now);
    free(old);
    assert_holds_version(path, 1.0f);
}
END_TEST

START_TEST(test_failed_save_missing_dir)
{
    const char *path = nn_test_path("no_such_dir/ckpt.h5");
    fixture f;
    fixture_init(&f, 0.0f);
    nn_error err = { 0 };
    int rc = nn_checkpoint_save(path, &f.ck, &err);
    fixture_free(&f);
    ck_assert_int_eq(rc, NN_E_IO);
    assert_msg_has(&err, "no_such_dir/ckpt.h5.tmp: No such file or directory");
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

START_TEST(test_failed_save_readonly_dir)
{
    if (geteuid() == 0) {
        /* root writes into read-only folders anyway */
        nn_test_skip("test_failed_save_readonly_dir", "running as root");
        return;
    }
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", nn_test_path("readonly_dir"));
    mkdir(dir, 0755);
    chmod(dir, 0755);
    snprintf(path, sizeof path, "%s/ckpt.h5", dir);
    save_version(path, 1.0f);
    ck_assert_int_eq(chmod(dir, 0555), 0);
    fixture f;
    fixture_init(&f, 2.0f);
    nn_error err = { 0 };
    int rc = nn_checkpoint_save(path, &f.ck, &err);
    chmod(dir, 0755);
    fixture_free(&f);
    ck_assert_int_eq(rc, NN_E_IO);
    assert_msg_has(&err, "Permission denied");
    assert_holds_version(path, 1.0f);
}
END_TEST

/* ---- load errors ------------------------------------------------------------------- */

/* Load path with the standard fixture's tensors; expect code and text. */
static void assert_load_fails(const char *path, int want_code, const char *want_msg,
                              void (*adjust)(fixture *))
{
    fixture want, got;
    fixture_init(&want, 0.0f);
    fixture_blank(&got, &want);
    if (adjust)
        adjust(&got);
    nn_error err = { 0 };
    int rc = nn_checkpoint_load(path, &got.ck, &err);
    printf("load error: %s\n", err.msg);
    ck_assert_msg(rc == want_code, "load returned %d (%s), expected %d", rc, err.msg, want_code);
    assert_msg_has(&err, want_msg);
    ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "message '%s' should name %s", err.msg,
                  path);
    fixture_free(&want);
    fixture_free(&got);
    ASSERT_NO_OPEN_HANDLES();
}

START_TEST(test_load_missing_file)
{
    assert_load_fails(nn_test_path("ckpt_never_written.h5"), NN_E_IO, ": No such file or directory",
                      NULL);
    char *text = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_checkpoint_read_config(nn_test_path("ckpt_never_written.h5"), &text, &err),
                     NN_E_IO);
    ck_assert_ptr_null(text);
}
END_TEST

START_TEST(test_load_text_file)
{
    const char *path = nn_test_path("ckpt_text.h5");
    const char *s = "this is not HDF5\n";
    ck_assert_int_eq(nn_test_write_file(path, s, strlen(s)), 0);
    assert_load_fails(path, NN_E_FORMAT, ": not an HDF5 file", NULL);
    /* an empty file too */
    ck_assert_int_eq(nn_test_write_file(path, "", 0), 0);
    assert_load_fails(path, NN_E_FORMAT, ": not an HDF5 file", NULL);
}
END_TEST

START_TEST(test_load_truncated)
{
    const char *full = nn_test_path("ckpt_full.h5");
    const char *half = nn_test_path("ckpt_half.h5");
    save_version(full, 0.0f);
    size_t n;
    char *bytes = slurp(full, &n);
    ck_assert_int_eq(nn_test_write_file(half, bytes, n / 2), 0);
    free(bytes);
    assert_load_fails(half, NN_E_FORMAT, "truncated file", NULL);
}
END_TEST

static void ask_missing(fixture *f) { snprintf(f->t[3].name, NN_TENSOR_NAME_LEN, "optim/m/fc2/b"); }
static void ask_missing_group(fixture *f)
{
    snprintf(f->t[3].name, NN_TENSOR_NAME_LEN, "optim/v/fc9/b");
}
static void ask_wrong_shape(fixture *f) { f->t[0].dims[0] = 784; /* buffer is larger: fine */ }
static void ask_wrong_rank(fixture *f)
{
    f->t[1].rank = 2;
    f->t[1].dims[0] = 8;
    f->t[1].dims[1] = 8;
}

START_TEST(test_load_missing_tensor)
{
    const char *path = nn_test_path("ckpt_missing.h5");
    save_version(path, 0.0f);
    assert_load_fails(path, NN_E_FORMAT, ": missing dataset /optim/m/fc2/b", ask_missing);
    assert_load_fails(path, NN_E_FORMAT, ": missing dataset /optim/v/fc9/b", ask_missing_group);
}
END_TEST

START_TEST(test_load_wrong_shape)
{
    const char *path = nn_test_path("ckpt_shape.h5");
    save_version(path, 0.0f);
    assert_load_fails(path, NN_E_FORMAT,
                      ": dataset /model/fc1/W has shape 1024x64, expected 784x64", ask_wrong_shape);
    assert_load_fails(path, NN_E_FORMAT, ": dataset /model/fc1/b has shape 64, expected 8x8",
                      ask_wrong_rank);
}
END_TEST

/* Replace a root attribute of an existing file (as another tool might). */
static void set_root_attr_str_fixed(const char *path, const char *name, const char *value)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    ck_assert_int_ge(H5Adelete(f, name), 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value)); /* fixed size, no terminator */
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, t, value), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    H5Fclose(f);
}

/* Replace a root attribute by a variable-length string (what other tools,
 * e.g. h5py's default, write). */
static void set_root_attr_str_vlen(const char *path, const char *name, const char *value)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    ck_assert_int_ge(H5Adelete(f, name), 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, t, &value), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    H5Fclose(f);
}

static void set_root_attr_int(const char *path, const char *name, int value)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_INT, &value), 0);
    H5Aclose(a);
    H5Fclose(f);
}

START_TEST(test_load_wrong_format)
{
    const char *path = nn_test_path("ckpt_format.h5");
    save_version(path, 0.0f);
    set_root_attr_str_fixed(path, "format", "foo");
    assert_load_fails(path, NN_E_FORMAT,
                      ": format attribute is 'foo', expected 'nntrain-checkpoint'", NULL);
    /* a fixed-size string attribute with the right text is accepted */
    set_root_attr_str_fixed(path, "format", NN_CKPT_FORMAT);
    assert_holds_version(path, 0.0f);

    /* Variable-length strings are refused before HDF5 reads them: on a
     * damaged file HDF5 1.10.8 loops forever in the global heap they live in
     * (found by tests/fuzz/fuzz_io_checkpoint). */
    set_root_attr_str_vlen(path, "format", NN_CKPT_FORMAT);
    assert_load_fails(path, NN_E_FORMAT, "variable-length string", NULL);
    set_root_attr_str_fixed(path, "format", NN_CKPT_FORMAT);

    set_root_attr_int(path, "format_version", 7);
    assert_load_fails(path, NN_E_FORMAT, ": format_version 7 is newer than this program (2)", NULL);
    char *text = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_checkpoint_read_config(path, &text, &err), NN_E_FORMAT);
    assert_msg_has(&err, "format_version 7 is newer");
    ck_assert_ptr_null(text);
}
END_TEST

START_TEST(test_load_plain_hdf5)
{
    /* an HDF5 file from elsewhere: no format attribute */
    const char *path = nn_test_path("ckpt_plain.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    H5Fclose(f);
    assert_load_fails(path, NN_E_FORMAT, ": no 'format' attribute on /", NULL);
}
END_TEST

START_TEST(test_errors_print_nothing)
{
    /* library code must not print, and HDF5's own stack printing is off */
    fflush(stderr);
    int saved = dup(2);
    const char *cap = nn_test_path("ckpt_stderr.txt");
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
    const char *half = nn_test_path("ckpt_half2.h5");
    save_version(nn_test_path("ckpt_full2.h5"), 0.0f);
    size_t n;
    char *bytes = slurp(nn_test_path("ckpt_full2.h5"), &n);
    nn_test_write_file(half, bytes, n / 2);
    free(bytes);
    fixture f;
    fixture_init(&f, 0.0f);
    nn_error err = { 0 };
    int rc1 = nn_checkpoint_load(half, &f.ck, &err);
    snprintf(f.t[1].name, NN_TENSOR_NAME_LEN, "model/fc1/W/x");
    int rc2 = nn_checkpoint_save(nn_test_path("ckpt_full2.h5"), &f.ck, &err);
    fixture_free(&f);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_ne(rc1, NN_OK);
    ck_assert_int_ne(rc2, NN_OK);
    struct stat st;
    ck_assert_int_eq(stat(cap, &st), 0);
    ck_assert_msg(st.st_size == 0, "something was printed to stderr (see %s)", cap);
    /* and the caller's HDF5 error printing setting is restored */
    H5E_auto2_t func = NULL;
    void *data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    ck_assert_ptr_nonnull(func);
}
END_TEST

/* ---- checksums ------------------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
    size_t n;
    char *bytes = slurp(from, &n);
    ck_assert_int_eq(nn_test_write_file(to, bytes, n), 0);
    free(bytes);
}

/* Capture what the process writes to stderr while a test runs. */
typedef struct capture {
    int saved;
    const char *path;
} capture;

static capture stderr_begin(const char *name)
{
    fflush(stderr);
    capture c = { dup(2), nn_test_path(name) };
    int fd = open(c.path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
    return c;
}

static void stderr_end_empty(capture c)
{
    fflush(stderr);
    dup2(c.saved, 2);
    close(c.saved);
    struct stat st;
    ck_assert_int_eq(stat(c.path, &st), 0);
    ck_assert_msg(st.st_size == 0, "something was printed to stderr (see %s)", c.path);
}

static void assert_damaged(int rc, const nn_error *err, const char *path, const char *dataset)
{
    char want[4300];
    snprintf(want, sizeof want, "%s: dataset %s: checksum mismatch (the file is damaged)", path,
             dataset);
    ck_assert_msg(rc == NN_E_FORMAT, "returned %d (%s), expected NN_E_FORMAT", rc, err->msg);
    ck_assert_str_eq(err->msg, want);
}

START_TEST(test_verify_intact)
{
    const char *path = nn_test_path("ckpt_verify.h5");
    save_version(path, 0.0f);
    nn_checkpoint_info info;
    nn_error err = { 0 };
    ck_assert_msg(nn_checkpoint_verify(path, &info, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(info.format_version, NN_CKPT_FORMAT_VERSION);
    ck_assert_int_eq(info.n_tensors, N_T);
    ck_assert_int_eq(info.n_checksummed, N_T);
    ck_assert_int_eq(info.epoch, 7);
    ck_assert_int_eq(info.step, 3);
    ck_assert_int_eq(info.global_step, 1234567890123LL);
    ck_assert_ptr_null(nn_checkpoint_version_note(info.format_version));
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

/* One flipped byte inside /model/fc1/W: every reader refuses the file,
 * naming it and the dataset, and nothing is printed. */
START_TEST(test_flipped_byte_in_tensor)
{
    const char *good = nn_test_path("ckpt_flip_good.h5");
    char bad[4096];
    snprintf(bad, sizeof bad, "%s", nn_test_path("ckpt_flip_bad.h5"));
    save_version(good, 0.0f);
    copy_file(good, bad);
    nn_test_flip_chunk_byte(bad, "/model/fc1/W", 1000);

    capture c = stderr_begin("ckpt_flip_stderr.txt");
    fixture want, got;
    fixture_init(&want, 0.0f);
    fixture_blank(&got, &want);
    nn_error err = { 0 };
    int rc_load = nn_checkpoint_load(bad, &got.ck, &err);
    nn_error e_load = err;
    /* asking only for other tensors does not help: the whole file is checked */
    got.ck.tensors = &got.t[2];
    got.ck.n_tensors = 2;
    int rc_subset = nn_checkpoint_load(bad, &got.ck, &err);
    nn_error e_subset = err;
    nn_named_tensor t;
    int rc_tensor = nn_checkpoint_read_tensor(bad, "model/fc2/b", &t, &err);
    nn_error e_tensor = err;
    int status[N_T];
    nn_named_tensor found[N_T];
    int rc_match = nn_checkpoint_load_matching(bad, got.t, N_T, status, found, &err);
    nn_error e_match = err;
    nn_checkpoint_info info;
    int rc_verify = nn_checkpoint_verify(bad, &info, &err);
    nn_error e_verify = err;
    stderr_end_empty(c);

    assert_damaged(rc_load, &e_load, bad, "/model/fc1/W");
    assert_damaged(rc_subset, &e_subset, bad, "/model/fc1/W");
    assert_damaged(rc_tensor, &e_tensor, bad, "/model/fc1/W");
    ck_assert_ptr_null(t.data);
    assert_damaged(rc_match, &e_match, bad, "/model/fc1/W");
    assert_damaged(rc_verify, &e_verify, bad, "/model/fc1/W");
    printf("damaged: %s\n", e_verify.msg);
    ASSERT_NO_OPEN_HANDLES();
    /* the intact copy still loads */
    assert_holds_version(good, 0.0f);
    fixture_free(&want);
    fixture_free(&got);
}
END_TEST

/* The last byte of the data, and a byte of the optimizer state. */
START_TEST(test_flipped_byte_anywhere)
{
    const char *good = nn_test_path("ckpt_flip2_good.h5");
    char bad[4096];
    snprintf(bad, sizeof bad, "%s", nn_test_path("ckpt_flip2_bad.h5"));
    save_version(good, 0.0f);
    static const struct {
        const char *name;
        long at;
    } cases[] = { { "/model/fc1/W", 1024 * 64 * 4 - 1 },
                  { "/model/conv1/W", 0 },
                  { "/optim/m/fc2/b3d", 17 },
                  { "/model/fc1/b", 5 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        copy_file(good, bad);
        nn_test_flip_chunk_byte(bad, cases[i].name, cases[i].at);
        nn_error err = { 0 };
        assert_damaged(nn_checkpoint_verify(bad, NULL, &err), &err, bad, cases[i].name);
    }
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

/* Damage outside the tensors: the file's metadata carries checksums too. */
START_TEST(test_flipped_byte_in_metadata)
{
    const char *good = nn_test_path("ckpt_meta_good.h5");
    char bad[4096];
    snprintf(bad, sizeof bad, "%s", nn_test_path("ckpt_meta_bad.h5"));
    save_version(good, 0.0f);
    size_t n;
    char *bytes = slurp(good, &n);
    const char *needle = "units = 64"; /* inside the config attribute */
    long at = -1;
    for (size_t i = 0; at < 0 && i + strlen(needle) <= n; i++)
        if (memcmp(bytes + i, needle, strlen(needle)) == 0)
            at = (long)i;
    ck_assert_int_ge(at, 0);
    free(bytes);

    copy_file(good, bad);
    nn_test_flip_byte(bad, at);
    nn_error err = { 0 };
    int rc = nn_checkpoint_verify(bad, NULL, &err);
    printf("damaged attribute: %s\n", err.msg);
    ck_assert_int_eq(rc, NN_E_FORMAT);
    assert_msg_has(&err, "checksum mismatch (the file is damaged)");
    char *text = NULL;
    ck_assert_int_eq(nn_checkpoint_read_config(bad, &text, &err), NN_E_FORMAT);
    assert_msg_has(&err, "checksum mismatch (the file is damaged)");
    ck_assert_ptr_null(text);

    copy_file(good, bad);
    nn_test_flip_byte(bad, 40); /* the superblock's root group address */
    rc = nn_checkpoint_verify(bad, NULL, &err);
    printf("damaged superblock: %s\n", err.msg);
    ck_assert_int_eq(rc, NN_E_FORMAT);
    assert_msg_has(&err, "checksum mismatch (the file is damaged)");
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

/* Large tensors are split into chunks of at most 1 MiB, each checked. */
START_TEST(test_large_tensor_chunks)
{
    const char *path = nn_test_path("ckpt_large.h5");
    nn_named_tensor t;
    static const uint64_t dims[] = { 1000, 700 }; /* 2.8 MB */
    set_tensor(&t, "model/big/W", 2, dims, 0.25f);
    nn_checkpoint ck = { .tensors = &t, .n_tensors = 1, .world_size = 1 };
    nn_error err = { 0 };
    ck_assert_msg(nn_checkpoint_save(path, &ck, &err) == NN_OK, "%s", err.msg);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/model/big/W", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(d);
    hsize_t chunk[2];
    ck_assert_int_eq(H5Pget_chunk(dcpl, 2, chunk), 2);
    ck_assert_uint_eq(chunk[1], 700);
    ck_assert_uint_le(chunk[0] * chunk[1] * sizeof(float), NN_H5_CHUNK_BYTES);
    hid_t space = H5Dget_space(d);
    hsize_t nchunks = 0;
    ck_assert_int_ge(H5Dget_num_chunks(d, space, &nchunks), 0);
    ck_assert_uint_eq(nchunks, (1000 + chunk[0] - 1) / chunk[0]);
    hsize_t off[2];
    unsigned mask;
    haddr_t last;
    hsize_t size;
    ck_assert_int_ge(H5Dget_chunk_info(d, space, nchunks - 1, off, &mask, &last, &size), 0);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Dclose(d);
    H5Fclose(f);

    float *back = calloc(1000 * 700, sizeof(float));
    nn_named_tensor r = t;
    r.data = back;
    nn_checkpoint ck2 = { .tensors = &r, .n_tensors = 1 };
    ck_assert_msg(nn_checkpoint_load(path, &ck2, &err) == NN_OK, "%s", err.msg);
    ck_assert_mem_eq(back, t.data, 1000 * 700 * sizeof(float));
    nn_test_flip_byte(path, (long)last + 3);
    assert_damaged(nn_checkpoint_load(path, &ck2, &err), &err, path, "/model/big/W");
    free(back);
    free(t.data);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

/* ---- format 1 (no checksums) ------------------------------------------------------ */

/* A checkpoint as nntrain wrote it before checksums: contiguous datasets, the
 * default object format, format_version = version. */
static void write_contiguous(const char *path, const fixture *fx, int version)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    nn_error err = { 0 };
    ck_assert_int_eq(nn_h5_attr_write_str(f, path, "/", "format", NN_CKPT_FORMAT, &err), 0);
    ck_assert_int_eq(nn_h5_attr_write(f, path, "/", "format_version", H5T_STD_I32LE, H5T_NATIVE_INT,
                                      1, 1, &version, &err),
                     0);
    static const char *const strings[] = { "nntrain_version", "hdf5_version", "config",
                                           "config_path" };
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(nn_h5_attr_write_str(f, path, "/", strings[i], CONFIG_TEXT, &err), 0);
    const nn_checkpoint *ck = &fx->ck;
    ck_assert_int_eq(nn_h5_attr_write(f, path, "/", "epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, 1,
                                      &ck->epoch, &err),
                     0);
    ck_assert_int_eq(nn_h5_attr_write(f, path, "/", "step", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, 1,
                                      &ck->step, &err),
                     0);
    ck_assert_int_eq(nn_h5_attr_write(f, path, "/", "global_step", H5T_STD_I64LE, H5T_NATIVE_INT64,
                                      1, 1, &ck->global_step, &err),
                     0);
    ck_assert_int_eq(nn_h5_attr_write(f, path, "/", "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, 1,
                                      &ck->seed, &err),
                     0);
    ck_assert_int_eq(nn_h5_attr_write(f, path, "/", "world_size", H5T_STD_I32LE, H5T_NATIVE_INT, 1,
                                      1, &ck->world_size, &err),
                     0);
    ck_assert_int_eq(nn_h5_attr_write(f, path, "/", "lr", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 1,
                                      &ck->lr, &err),
                     0);
    for (int i = 0; i < N_T; i++) {
        const nn_named_tensor *t = &fx->t[i];
        char full[256];
        snprintf(full, sizeof full, "/%s", t->name);
        ck_assert_int_eq(nn_h5_make_parents(f, path, full, &err), 0);
        hsize_t dims[4];
        int64_t shape[4];
        for (int k = 0; k < t->rank; k++)
            dims[k] = t->dims[k], shape[k] = (int64_t)t->dims[k];
        hid_t space = H5Screate_simple(t->rank, dims, NULL);
        hid_t d = H5Dcreate2(f, full, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(d, 0);
        ck_assert_int_ge(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data), 0);
        ck_assert_int_eq(nn_h5_attr_write(d, path, full, "shape", H5T_STD_I64LE, H5T_NATIVE_INT64,
                                          (hsize_t)t->rank, 0, shape, &err),
                         0);
        H5Dclose(d);
        H5Sclose(space);
    }
    H5Fclose(f);
}

START_TEST(test_format1_still_read)
{
    const char *path = nn_test_path("ckpt_format1.h5");
    fixture fx;
    fixture_init(&fx, 0.0f);
    write_contiguous(path, &fx, 1);
    fixture_free(&fx);
    assert_holds_version(path, 0.0f);
    fixture want, got;
    fixture_init(&want, 0.0f);
    fixture_blank(&got, &want);
    nn_error err = { 0 };
    ck_assert_int_eq(nn_checkpoint_load(path, &got.ck, &err), NN_OK);
    ck_assert_int_eq(got.ck.format_version, 1);
    fixture_free(&want);
    fixture_free(&got);
    nn_checkpoint_info info;
    ck_assert_msg(nn_checkpoint_verify(path, &info, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(info.format_version, 1);
    ck_assert_int_eq(info.n_tensors, N_T);
    ck_assert_int_eq(info.n_checksummed, 0);
    const char *note = nn_checkpoint_version_note(1);
    ck_assert_ptr_nonnull(note);
    ck_assert_ptr_nonnull(strstr(note, "no checksums"));
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

START_TEST(test_format2_needs_checksums)
{
    /* a format 2 file whose tensors lost their checksums (rewritten by some
     * tool) cannot be verified: refused */
    const char *path = nn_test_path("ckpt_format2_plain.h5");
    fixture fx;
    fixture_init(&fx, 0.0f);
    write_contiguous(path, &fx, 2);
    fixture_free(&fx);
    assert_load_fails(path, NN_E_FORMAT, ": dataset /model/conv1/W has no checksum", NULL);
}
END_TEST

/* ---- keeping older checkpoints ---------------------------------------------------- */

START_TEST(test_backup_name)
{
    char out[64];
    nn_error err = { 0 };
    ck_assert_int_eq(nn_checkpoint_backup_name("runs/x/checkpoint.h5", 0, out, sizeof out, &err),
                     0);
    ck_assert_str_eq(out, "runs/x/checkpoint.h5");
    ck_assert_int_eq(nn_checkpoint_backup_name("runs/x/checkpoint.h5", 1, out, sizeof out, &err),
                     0);
    ck_assert_str_eq(out, "runs/x/checkpoint.1.h5");
    ck_assert_int_eq(nn_checkpoint_backup_name("runs/x/ck", 12, out, sizeof out, &err), 0);
    ck_assert_str_eq(out, "runs/x/ck.12");
    ck_assert_int_eq(nn_checkpoint_backup_name("runs/x/checkpoint.h5", 3, out, 10, &err),
                     NN_E_STATE);
}
END_TEST

static ino_t inode_of(const char *p)
{
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    return st.st_ino;
}

static void save_keep(const char *path, int keep, float base)
{
    fixture f;
    fixture_init(&f, base);
    nn_error err = { 0 };
    int rc = nn_checkpoint_save_keep(path, keep, &f.ck, &err);
    ck_assert_msg(rc == NN_OK, "save %s: %s", path, err.msg);
    fixture_free(&f);
}

START_TEST(test_keep_rotation)
{
    char path[4096], b1[4200], b2[4200], b3[4200];
    snprintf(path, sizeof path, "%s", nn_test_path("ckpt_keep.h5"));
    nn_error err = { 0 };
    nn_checkpoint_backup_name(path, 1, b1, sizeof b1, &err);
    nn_checkpoint_backup_name(path, 2, b2, sizeof b2, &err);
    nn_checkpoint_backup_name(path, 3, b3, sizeof b3, &err);
    unlink(path), unlink(b1), unlink(b2), unlink(b3);

    save_keep(path, 3, 1.0f);
    ck_assert(!file_exists(b1));
    ino_t first = inode_of(path);
    save_keep(path, 3, 2.0f);
    /* the previous file itself (a hard link), not a copy */
    ck_assert(inode_of(b1) == first);
    save_keep(path, 3, 3.0f);
    save_keep(path, 3, 4.0f);
    assert_holds_version(path, 4.0f);
    assert_holds_version(b1, 3.0f);
    assert_holds_version(b2, 2.0f);
    ck_assert(!file_exists(b3));
    ck_assert(!file_exists(nn_test_path("ckpt_keep.1.h5.tmp")));
    ck_assert(!file_exists(nn_test_path("ckpt_keep.h5.tmp")));

    /* fewer kept: the surplus goes */
    save_keep(path, 2, 5.0f);
    assert_holds_version(path, 5.0f);
    assert_holds_version(b1, 4.0f);
    ck_assert(!file_exists(b2));
    save_keep(path, 1, 6.0f);
    assert_holds_version(path, 6.0f);
    ck_assert(!file_exists(b1));

    /* a gap (a damaged backup set aside) is filled in order */
    save_keep(path, 3, 7.0f);
    save_keep(path, 3, 8.0f);
    ck_assert_int_eq(rename(path, nn_test_path("ckpt_keep.h5.damaged")), 0);
    save_keep(path, 3, 9.0f); /* 8 was set aside: 7 moves to .2, .1 stays empty */
    assert_holds_version(path, 9.0f);
    ck_assert(!file_exists(b1));
    assert_holds_version(b2, 7.0f);
    save_keep(path, 3, 10.0f);
    assert_holds_version(b1, 9.0f);
    assert_holds_version(b2, 7.0f);

    /* a save killed between its link and its rename: path and backup 1 are
     * the same file; the next save leaves no stray link behind */
    save_keep(path, 2, 11.0f);
    ck_assert_int_eq(unlink(b1), 0);
    ck_assert_int_eq(link(path, b1), 0);
    save_keep(path, 2, 12.0f);
    assert_holds_version(path, 12.0f);
    assert_holds_version(b1, 11.0f);
    ck_assert(!file_exists(nn_test_path("ckpt_keep.1.h5.tmp")));

    fixture f;
    fixture_init(&f, 0.0f);
    ck_assert_int_eq(nn_checkpoint_save_keep(path, 0, &f.ck, &err), NN_E_STATE);
    ck_assert_int_eq(nn_checkpoint_save_keep(path, NN_CKPT_MAX_KEEP + 1, &f.ck, &err), NN_E_STATE);
    fixture_free(&f);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

/* A failed save moves nothing: the latest and its predecessors stay. */
START_TEST(test_keep_failed_save)
{
    char path[4096], b1[4200];
    snprintf(path, sizeof path, "%s", nn_test_path("ckpt_keepfail.h5"));
    nn_error err = { 0 };
    nn_checkpoint_backup_name(path, 1, b1, sizeof b1, &err);
    save_keep(path, 2, 1.0f);
    save_keep(path, 2, 2.0f);
    limit_file_size();
    fixture f;
    fixture_init(&f, 3.0f);
    int rc = nn_checkpoint_save_keep(path, 2, &f.ck, &err);
    setrlimit(RLIMIT_FSIZE, &saved_limit);
    signal(SIGXFSZ, saved_handler);
    fixture_free(&f);
    ck_assert_int_eq(rc, NN_E_IO);
    assert_holds_version(path, 2.0f);
    assert_holds_version(b1, 1.0f);
}
END_TEST

/* ---- the layout other tools see -------------------------------------------------- */

static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    return out;
}

static void assert_has(const char *text, const char *part)
{
    ck_assert_msg(strstr(text, part) != NULL, "h5dump output lacks '%s':\n%s", part, text);
}

START_TEST(test_h5dump_layout)
{
    if (access("/usr/bin/h5dump", X_OK) != 0) {
        nn_test_skip("test_h5dump_layout",
                     "/usr/bin/h5dump not found (apt-get install hdf5-tools)");
        return;
    }
    const char *path = nn_test_path("ckpt_layout.h5");
    save_version(path, 0.0f);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "/usr/bin/h5dump -H '%s' 2>&1", path);
    char *out = run(cmd);
    assert_has(out, "GROUP \"/\"");
    assert_has(out, "GROUP \"model\"");
    assert_has(out, "GROUP \"fc1\"");
    assert_has(out, "GROUP \"optim\"");
    assert_has(out, "DATASET \"W\"");
    assert_has(out, "DATATYPE  H5T_IEEE_F32LE");
    assert_has(out, "DATASPACE  SIMPLE { ( 1024, 64 ) / ( 1024, 64 ) }");
    assert_has(out, "DATASPACE  SIMPLE { ( 8, 3, 3, 3 ) / ( 8, 3, 3, 3 ) }");
    assert_has(out, "ATTRIBUTE \"shape\"");
    assert_has(out, "H5T_STD_I64LE");
    static const char *root[] = { "format",       "format_version", "nntrain_version",
                                  "hdf5_version", "epoch",          "step",
                                  "global_step",  "seed",           "world_size",
                                  "lr",           "config",         "config_path" };
    for (size_t i = 0; i < sizeof root / sizeof root[0]; i++) {
        char a[64];
        snprintf(a, sizeof a, "ATTRIBUTE \"%s\"", root[i]);
        assert_has(out, a);
    }
    assert_has(out, "H5T_STD_U64LE"); /* the seed */
    assert_has(out, "STRSIZE 19;");   /* fixed length: "nntrain-checkpoint" + NUL */
    assert_has(out, "CSET H5T_CSET_UTF8");
    free(out);

    /* strings and values are readable as text */
    snprintf(cmd, sizeof cmd,
             "/usr/bin/h5dump -a /format -a /nntrain_version -a /seed -a /model/fc1/W/shape "
             "'%s' 2>&1",
             path);
    out = run(cmd);
    assert_has(out, "\"nntrain-checkpoint\"");
    assert_has(out, "\"" NN_VERSION "\"");
    assert_has(out, "18364758544493064720"); /* 0xFEDCBA9876543210 */
    assert_has(out, "(0): 1024, 64");
    free(out);

    /* every tensor chunked with a Fletcher32 checksum, and h5dump reads it */
    snprintf(cmd, sizeof cmd, "/usr/bin/h5dump -p -d /model/fc1/b '%s' 2>&1", path);
    out = run(cmd);
    assert_has(out, "CHUNKED ( 64 )");
    assert_has(out, "CHECKSUM FLETCHER32");
    assert_has(out, "(0): nan, -inf, -0, ");
    free(out);
}
END_TEST

Suite *io_checkpoint_suite(void)
{
    Suite *s = suite_create("io_checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_load_subset);
    tcase_add_test(tc, test_null_config);
    tcase_add_test(tc, test_overwrite_replaces_by_rename);
    tcase_add_test(tc, test_failed_save_name_clash);
    tcase_add_test(tc, test_failed_save_bad_arguments);
    tcase_add_test(tc, test_failed_save_disk_full);
    tcase_add_test(tc, test_failed_save_missing_dir);
    tcase_add_test(tc, test_failed_save_readonly_dir);
    tcase_add_test(tc, test_load_missing_file);
    tcase_add_test(tc, test_load_text_file);
    tcase_add_test(tc, test_load_truncated);
    tcase_add_test(tc, test_load_missing_tensor);
    tcase_add_test(tc, test_load_wrong_shape);
    tcase_add_test(tc, test_load_wrong_format);
    tcase_add_test(tc, test_load_plain_hdf5);
    tcase_add_test(tc, test_errors_print_nothing);
    tcase_add_test(tc, test_h5dump_layout);
    tcase_add_test(tc, test_verify_intact);
    tcase_add_test(tc, test_flipped_byte_in_tensor);
    tcase_add_test(tc, test_flipped_byte_anywhere);
    tcase_add_test(tc, test_flipped_byte_in_metadata);
    tcase_add_test(tc, test_large_tensor_chunks);
    tcase_add_test(tc, test_format1_still_read);
    tcase_add_test(tc, test_format2_needs_checksums);
    tcase_add_test(tc, test_backup_name);
    tcase_add_test(tc, test_keep_rotation);
    tcase_add_test(tc, test_keep_failed_save);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return nn_test_run_suite(io_checkpoint_suite()); }
