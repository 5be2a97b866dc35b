/* Whole numeric datasets of rank 1 or 2, written and read in one call (for
 * the small result files: pca.h5, recon_<split>.h5). Private to src/io. */
#ifndef NN_IO_H5ARRAY_H
#define NN_IO_H5ARRAY_H

#include <hdf5.h>

#include "nn/error.h"

/* Create dataset name (rank 1..2, dims) of file type ftype from buf of
 * memory type mtype, chunked with a Fletcher32 checksum per chunk (see
 * nn_h5_checked_dcpl; an empty one contiguous). NN_E_IO naming file and
 * dataset on failure. */
int nn_h5_write_array(hid_t fid, const char *file, const char *name, hid_t ftype, hid_t mtype,
                      int rank, const hsize_t *dims, const void *buf, nn_error *err);

/* Read dataset name, which must have the given rank and a type of class
 * want (H5T_INTEGER or H5T_FLOAT), converted to mtype (elem bytes each) into
 * a malloc'ed *buf; dims receives its shape. At most 2^28 elements (a
 * damaged file cannot make it allocate more). NN_E_FORMAT on a missing or
 * mismatched dataset, or a checksum mismatch ("<file>: dataset <name>:
 * checksum mismatch (the file is damaged)"). */
int nn_h5_read_array(hid_t fid, const char *file, const char *name, H5T_class_t want, hid_t mtype,
                     size_t elem, int rank, hsize_t *dims, void **buf, nn_error *err);

#endif
