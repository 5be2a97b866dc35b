/* HDF5 metrics files: append and read back, resume with keep_epochs,
 * NaN values, damaged layouts, a flipped byte caught by the checksums, and
 * the layout h5dump shows. */
#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/checkpoint.h"
#include "nn/runfiles.h"
#include "testh5.h"
#include "testutil.h"

#define ASSERT_NO_OPEN_HANDLES() \
    ck_assert_int_eq((int)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0)

static nn_epoch_metrics row_for(int64_t epoch, double tag)
{
    nn_epoch_metrics r = {
        .epoch = epoch,
        .train_loss = 2.0 / (double)epoch + tag,
        .train_acc = 0.5 + 0.01 * (double)epoch,
        .valid_loss = (epoch % 2) ? NAN : 1.5 + tag, /* no validation on odd epochs */
        .valid_acc = (epoch % 2) ? NAN : 0.4 + 0.02 * (double)epoch,
        .lr = 0.1 / (double)epoch,
        .seconds = 3.25 * (double)epoch,
        .samples_per_sec = 48000.5 + (double)epoch,
    };
    return r;
}

/* equal, with NaN == NaN */
static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static void assert_row(const nn_epoch_metrics *got, const nn_epoch_metrics *want)
{
    ck_assert_int_eq(got->epoch, want->epoch);
    ck_assert(same(got->train_loss, want->train_loss));
    ck_assert(same(got->train_acc, want->train_acc));
    ck_assert_msg(same(got->valid_loss, want->valid_loss), "epoch %lld valid_loss %g vs %g",
                  (long long)want->epoch, got->valid_loss, want->valid_loss);
    ck_assert(same(got->valid_acc, want->valid_acc));
    ck_assert(same(got->lr, want->lr));
    ck_assert(same(got->seconds, want->seconds));
    ck_assert(same(got->samples_per_sec, want->samples_per_sec));
}

/* Write epochs 1..n (tag shifts the values) to a new file. */
static void write_rows(const char *path, int n, double tag)
{
    nn_metrics *m = NULL;
    nn_error err = { 0 };
    ck_assert_msg(nn_metrics_open(&m, path, -1, &err) == NN_OK, "%s", err.msg);
    for (int e = 1; e <= n; e++) {
        nn_epoch_metrics r = row_for(e, tag);
        ck_assert_msg(nn_metrics_append(m, &r, &err) == NN_OK, "%s", err.msg);
    }
    nn_metrics_close(m);
    ASSERT_NO_OPEN_HANDLES();
}

START_TEST(test_append_and_read)
{
    const char *path = nn_test_path("metrics_basic.h5");
    write_rows(path, 5, 0.0);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    nn_error err = { 0 };
    ck_assert_msg(nn_metrics_read(path, &rows, &n, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < 5; i++) {
        nn_epoch_metrics want = row_for(i + 1, 0.0);
        assert_row(&rows[i], &want);
    }
    ck_assert(isnan(rows[0].valid_loss)); /* NaN survives the round trip */
    free(rows);
    ck_assert(access(nn_test_path("metrics_basic.h5.tmp"), F_OK) != 0);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

START_TEST(test_rows_on_disk_after_each_append)
{
    /* a crash after an append loses nothing: the file on disk has the row
     * while the writer is still open, and other readers can open it */
    const char *path = nn_test_path("metrics_live.h5");
    nn_metrics *m = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_metrics_open(&m, path, -1, &err), NN_OK);
    nn_epoch_metrics *rows = NULL;
    int64_t n = -1;
    ck_assert_msg(nn_metrics_read(path, &rows, &n, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(rows);
    for (int e = 1; e <= 3; e++) {
        nn_epoch_metrics r = row_for(e, 0.0);
        ck_assert_int_eq(nn_metrics_append(m, &r, &err), NN_OK);
        ck_assert_msg(nn_metrics_read(path, &rows, &n, &err) == NN_OK, "%s", err.msg);
        ck_assert_int_eq(n, e);
        assert_row(&rows[e - 1], &r);
        free(rows);
    }
    if (access("/usr/bin/h5dump", X_OK) == 0) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "/usr/bin/h5dump -H '%s' >/dev/null 2>&1", path);
        ck_assert_msg(system(cmd) == 0, "h5dump cannot read the file while it is open");
    } else {
        nn_test_skip_part("test_rows_on_disk_after_each_append",
                          "/usr/bin/h5dump not found: not read while open");
    }
    nn_metrics_close(m);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

START_TEST(test_many_rows)
{
    /* past several 64-row chunks */
    const char *path = nn_test_path("metrics_many.h5");
    write_rows(path, 150, 0.25);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 150);
    for (int i = 0; i < 150; i++) {
        nn_epoch_metrics want = row_for(i + 1, 0.25);
        assert_row(&rows[i], &want);
    }
    free(rows);
}
END_TEST

START_TEST(test_resume_keeps_epochs)
{
    const char *path = nn_test_path("metrics_resume.h5");
    write_rows(path, 5, 0.0);
    nn_metrics *m = NULL;
    nn_error err = { 0 };
    /* resumed from the checkpoint after epoch 3: epochs 4 and 5 are redone */
    ck_assert_msg(nn_metrics_open(&m, path, 3, &err) == NN_OK, "%s", err.msg);
    nn_epoch_metrics r4 = row_for(4, 100.0);
    ck_assert_msg(nn_metrics_append(m, &r4, &err) == NN_OK, "%s", err.msg);
    nn_metrics_close(m);

    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 4);
    for (int i = 0; i < 3; i++) {
        nn_epoch_metrics want = row_for(i + 1, 0.0);
        assert_row(&rows[i], &want);
    }
    assert_row(&rows[3], &r4); /* the new epoch 4, not the old one */
    free(rows);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

START_TEST(test_resume_drops_rows_at_open)
{
    /* rows after the checkpoint go at once, even if no epoch completes */
    const char *path = nn_test_path("metrics_resume0.h5");
    write_rows(path, 5, 0.0);
    nn_metrics *m = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_metrics_open(&m, path, 2, &err), NN_OK);
    nn_metrics_close(m);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(rows[1].epoch, 2);
    free(rows);
    /* keep_epochs = 0: an empty file with the full layout */
    ck_assert_int_eq(nn_metrics_open(&m, path, 0, &err), NN_OK);
    nn_metrics_close(m);
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 0);
    /* keep more epochs than there are: nothing changes */
    write_rows(path, 3, 0.0);
    ck_assert_int_eq(nn_metrics_open(&m, path, 10, &err), NN_OK);
    nn_metrics_close(m);
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 3);
    free(rows);
}
END_TEST

START_TEST(test_resume_without_file_creates)
{
    const char *path = nn_test_path("metrics_resume_new.h5");
    unlink(path);
    nn_metrics *m = NULL;
    nn_error err = { 0 };
    ck_assert_msg(nn_metrics_open(&m, path, 7, &err) == NN_OK, "%s", err.msg);
    nn_epoch_metrics r = row_for(8, 0.0);
    ck_assert_int_eq(nn_metrics_append(m, &r, &err), NN_OK);
    nn_metrics_close(m);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(rows[0].epoch, 8);
    free(rows);
}
END_TEST

START_TEST(test_new_run_replaces_file)
{
    const char *path = nn_test_path("metrics_replace.h5");
    write_rows(path, 5, 0.0);
    write_rows(path, 2, 1.0);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 2);
    nn_epoch_metrics want = row_for(2, 1.0);
    assert_row(&rows[1], &want);
    free(rows);
    /* a non-HDF5 file at the path is simply replaced by a new run */
    ck_assert_int_eq(nn_test_write_file(path, "text", 4), 0);
    write_rows(path, 1, 0.0);
}
END_TEST

/* ---- damaged files ------------------------------------------------------------- */

static void assert_open_fails(const char *path, int want_code, const char *want_msg)
{
    struct stat before, after;
    int existed = stat(path, &before) == 0;
    nn_metrics *m = (nn_metrics *)1;
    nn_error err = { 0 };
    int rc = nn_metrics_open(&m, path, 3, &err);
    printf("metrics error: %s\n", err.msg);
    ck_assert_msg(rc == want_code, "open returned %d (%s), expected %d", rc, err.msg, want_code);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.msg, want_msg) != NULL, "message '%s' lacks '%s'", err.msg, want_msg);
    ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "message '%s' should name %s", err.msg,
                  path);
    /* never replaced when it cannot be read */
    if (existed) {
        ck_assert_int_eq(stat(path, &after), 0);
        ck_assert(before.st_ino == after.st_ino && before.st_size == after.st_size);
    }
    /* and read says the same */
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), want_code);
    ck_assert_ptr_null(rows);
    ASSERT_NO_OPEN_HANDLES();
}

/* Edit a good metrics file with HDF5 directly, as a damaged file would be. */
static void damage(const char *path, void (*edit)(hid_t))
{
    write_rows(path, 5, 0.0);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    edit(f);
    H5Fclose(f);
}

static void drop_lr(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "lr", H5P_DEFAULT), 0); }

static void shorten_seconds(hid_t f)
{
    hid_t d = H5Dopen2(f, "seconds", H5P_DEFAULT);
    hsize_t n = 4;
    ck_assert_int_ge(H5Dset_extent(d, &n), 0);
    H5Dclose(d);
}

static void fixed_train_acc(hid_t f)
{
    /* a fixed-size 2-D dataset in place of an extendible column */
    ck_assert_int_ge(H5Ldelete(f, "train_acc", H5P_DEFAULT), 0);
    hsize_t dims[2] = { 5, 1 };
    hid_t s = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(f, "train_acc", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(s);
}

static void float_epoch(hid_t f)
{
    ck_assert_int_ge(H5Ldelete(f, "epoch", H5P_DEFAULT), 0);
    hsize_t dims = 5, max = H5S_UNLIMITED, chunk = 64;
    hid_t s = H5Screate_simple(1, &dims, &max);
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(p, 1, &chunk);
    hid_t d = H5Dcreate2(f, "epoch", H5T_IEEE_F64LE, s, H5P_DEFAULT, p, H5P_DEFAULT);
    H5Dclose(d);
    H5Pclose(p);
    H5Sclose(s);
}

static void group_for_valid_loss(hid_t f)
{
    ck_assert_int_ge(H5Ldelete(f, "valid_loss", H5P_DEFAULT), 0);
    hid_t g = H5Gcreate2(f, "valid_loss", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
}

START_TEST(test_broken_layout)
{
    const char *path = nn_test_path("metrics_broken.h5");
    damage(path, drop_lr);
    assert_open_fails(path, NN_E_FORMAT, ": missing dataset /lr");
    damage(path, shorten_seconds);
    assert_open_fails(path, NN_E_FORMAT, ": dataset /seconds has 4 rows but /epoch has 5");
    damage(path, fixed_train_acc);
    assert_open_fails(path, NN_E_FORMAT, ": dataset /train_acc has 2 dimensions, expected 1");
    damage(path, float_epoch);
    assert_open_fails(path, NN_E_FORMAT, ": dataset /epoch is not an integer");
    damage(path, group_for_valid_loss);
    assert_open_fails(path, NN_E_FORMAT, ": /valid_loss is not a dataset");
}
END_TEST

START_TEST(test_flipped_byte)
{
    const char *path = nn_test_path("metrics_flipped.h5");
    write_rows(path, 5, 0.0);
    nn_test_flip_chunk_byte(path, "/valid_loss", 9);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_E_FORMAT);
    ck_assert_msg(
        strstr(err.msg, path) &&
            strstr(err.msg, "dataset /valid_loss: checksum mismatch (the file is damaged)"),
        "message: %s", err.msg);
    free(rows);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

START_TEST(test_not_a_metrics_file)
{
    const char *path = nn_test_path("metrics_text.h5");
    ck_assert_int_eq(nn_test_write_file(path, "epoch,loss\n1,2\n", 15), 0);
    assert_open_fails(path, NN_E_FORMAT, ": not an HDF5 file");

    /* a checkpoint given as the metrics file */
    const char *ck_path = nn_test_path("metrics_is_ckpt.h5");
    float w[4] = { 1, 2, 3, 4 };
    nn_named_tensor t = { .name = "model/fc/W", .rank = 2, .dims = { 2, 2 }, .data = w };
    nn_checkpoint ck = { .tensors = &t, .n_tensors = 1 };
    nn_error err = { 0 };
    ck_assert_msg(nn_checkpoint_save(ck_path, &ck, &err) == NN_OK, "%s", err.msg);
    assert_open_fails(ck_path, NN_E_FORMAT,
                      ": format attribute is 'nntrain-checkpoint', expected 'nntrain-metrics'");

    /* truncated */
    const char *full = nn_test_path("metrics_full.h5");
    const char *half = nn_test_path("metrics_half.h5");
    write_rows(full, 5, 0.0);
    FILE *f = fopen(full, "rb");
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_uint_lt(n, sizeof buf);
    ck_assert_int_eq(nn_test_write_file(half, buf, n / 2), 0);
    assert_open_fails(half, NN_E_FORMAT, "truncated file");
}
END_TEST

START_TEST(test_unwritable_path)
{
    const char *path = nn_test_path("no_such_dir/metrics.h5");
    nn_metrics *m = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_metrics_open(&m, path, -1, &err), NN_E_IO);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.msg, "No such file or directory") != NULL, "%s", err.msg);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_E_IO);
    ASSERT_NO_OPEN_HANDLES();
}
END_TEST

/* ---- layout --------------------------------------------------------------------- */

START_TEST(test_h5dump_layout)
{
    if (access("/usr/bin/h5dump", X_OK) != 0) {
        nn_test_skip("test_h5dump_layout",
                     "/usr/bin/h5dump not found (apt-get install hdf5-tools)");
        return;
    }
    const char *path = nn_test_path("metrics_layout.h5");
    write_rows(path, 5, 0.0);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "/usr/bin/h5dump -H -p '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    static const char *want[] = { "ATTRIBUTE \"format\"",
                                  "ATTRIBUTE \"format_version\"",
                                  "DATASET \"epoch\"",
                                  "DATASET \"train_loss\"",
                                  "DATASET \"train_acc\"",
                                  "DATASET \"valid_loss\"",
                                  "DATASET \"valid_acc\"",
                                  "DATASET \"lr\"",
                                  "DATASET \"seconds\"",
                                  "DATASET \"samples_per_sec\"",
                                  "H5T_STD_I64LE",
                                  "H5T_IEEE_F64LE",
                                  "DATASPACE  SIMPLE { ( 5 ) / ( H5S_UNLIMITED ) }",
                                  "CHUNKED ( 64 )",
                                  "ATTRIBUTE \"description\"" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(out, want[i]) != NULL, "h5dump output lacks '%s':\n%s", want[i], out);
}
END_TEST

Suite *io_metrics_suite(void)
{
    Suite *s = suite_create("io_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_append_and_read);
    tcase_add_test(tc, test_rows_on_disk_after_each_append);
    tcase_add_test(tc, test_many_rows);
    tcase_add_test(tc, test_resume_keeps_epochs);
    tcase_add_test(tc, test_resume_drops_rows_at_open);
    tcase_add_test(tc, test_resume_without_file_creates);
    tcase_add_test(tc, test_new_run_replaces_file);
    tcase_add_test(tc, test_broken_layout);
    tcase_add_test(tc, test_not_a_metrics_file);
    tcase_add_test(tc, test_flipped_byte);
    tcase_add_test(tc, test_unwritable_path);
    tcase_add_test(tc, test_h5dump_layout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return nn_test_run_suite(io_metrics_suite()); }
