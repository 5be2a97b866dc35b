/* The run folder's lock: a training run holds flock() on <out>/.lock from
 * before its first write until it exits, so a second run into the same
 * folder (a resubmitted batch job, a typo in [train] out) stops before it
 * touches checkpoint.h5.tmp or metrics.h5. The kernel releases the lock when
 * the holder dies, however it dies: a lock file left by a killed run is no
 * obstacle. The file is never removed (removing it would let two runs lock
 * two different files of the same name); it holds the holder's PID and host,
 * for the message the second run prints. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "nn/trainer.h"

#define HOLDER_LEN 320

/* "PID on HOST" as the holder wrote it, or "" when it has not written it
 * yet (it writes right after taking the lock: wait a little for it). */
static void read_holder(int fd, char *out, size_t n)
{
    out[0] = '\0';
    for (int attempt = 0; attempt < 20 && !out[0]; ++attempt) {
        if (attempt) {
            struct timespec ts = { 0, 25 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        ssize_t got = pread(fd, out, n - 1, 0);
        out[got > 0 ? got : 0] = '\0';
        out[strcspn(out, "\n")] = '\0';
    }
}

static int write_holder(int fd)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "?");
    char text[HOLDER_LEN];
    int len = snprintf(text, sizeof text, "%ld on %s\n", (long)getpid(), host);
    return ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) == len ? 0 : -1;
}

int nn_run_dir_lock(const char *dir, int *fd_out, nn_error *err)
{
    char path[NN_PATH_LEN + 16];
    snprintf(path, sizeof path, "%s/.lock", dir);
    *fd_out = -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return nn_fail(err, NN_E_IO, "%s: cannot open the run folder's lock file: %s", path,
                       strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        (void)write_holder(fd); /* best effort: the lock is what protects the folder */
        *fd_out = fd;
        return NN_OK;
    }
    const int e = errno;
    if (e == EWOULDBLOCK) {
        char holder[HOLDER_LEN];
        read_holder(fd, holder, sizeof holder);
        close(fd);
        return nn_fail(err, NN_E_IO,
                       "%s: the run folder is in use by %s%s (it holds %s); let that run "
                       "finish, or set another [train] out",
                       dir, holder[0] ? "process " : "another process", holder, path);
    }
    close(fd);
    /* Some parallel file systems are mounted without lock support: train
     * anyway, but say that the folder is unprotected. */
    if (e == ENOSYS || e == ENOLCK || e == EOPNOTSUPP || e == EINVAL) {
        fprintf(stderr,
                "nntrain: warning: %s: cannot lock (%s); nothing stops another run "
                "from writing into %s at the same time\n",
                path, strerror(e), dir);
        return NN_OK;
    }
    return nn_fail(err, NN_E_IO, "%s: cannot lock: %s", path, strerror(e));
}

void nn_run_dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}
