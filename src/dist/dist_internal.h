/* What the files of nn_dist share among themselves (not part of dist.h). */
#ifndef NN_DIST_INTERNAL_H
#define NN_DIST_INTERNAL_H

/* node_share.c: the communicator of this rank's host, made by nn_dist_init
 * and freed by nn_dist_finalize. Both collective over all ranks. */
int nn_dist_host_init(void);
void nn_dist_host_free(void);

#endif
