/* HDF5 helpers shared by the Check unit tests of the io and data modules:
 * the damage a checksum must catch, put exactly where it should be caught. */
#ifndef NN_TESTH5_H
#define NN_TESTH5_H

#include <stdint.h>

/* File offset of the first stored byte of dataset `name`'s first chunk in
 * the HDF5 file `path`, and the chunk's stored size in *size (may be NULL).
 * Fails the running test when the dataset has no stored chunk. */
int64_t nn_test_chunk_address(const char *path, const char *name, int64_t *size);
/* Invert every bit of the byte at `offset` of the file, in place. */
void nn_test_flip_byte(const char *path, int64_t offset);
/* Invert the byte at offset `at` inside dataset `name`'s first chunk
 * (at < the chunk's stored size). */
void nn_test_flip_chunk_byte(const char *path, const char *name, int64_t at);

#endif
