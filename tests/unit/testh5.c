/* See testh5.h. */
#include "testh5.h"

#include <check.h>
#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

int64_t nn_test_chunk_address(const char *path, const char *name, int64_t *size)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    hid_t space = H5Dget_space(d);
    hsize_t offset[4];
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t stored = 0;
    ck_assert_int_ge(H5Dget_chunk_info(d, space, 0, offset, &mask, &addr, &stored), 0);
    ck_assert(addr != HADDR_UNDEF && stored > 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    if (size)
        *size = (int64_t)stored;
    return (int64_t)addr;
}

void nn_test_flip_byte(const char *path, int64_t offset)
{
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    unsigned char b;
    ck_assert_int_eq(pread(fd, &b, 1, (off_t)offset), 1);
    b ^= 0xFF;
    ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)offset), 1);
    close(fd);
}

void nn_test_flip_chunk_byte(const char *path, const char *name, int64_t at)
{
    int64_t size = 0;
    const int64_t addr = nn_test_chunk_address(path, name, &size);
    ck_assert(at >= 0 && at < size);
    nn_test_flip_byte(path, addr + at);
}
