#define _GNU_SOURCE
#include "CBBFSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/random.h>
#endif

int bbf_spawn(const char *path, char *const argv[], char *const envp[],
              int stdin_fd, int stdout_fd, int stderr_fd,
              int kill_with_parent, pid_t *pid_out) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        return errno;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        return saved;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls from here to exec. */
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) {
                sigaction(sig, &dfl, NULL);
            }
        }
#ifdef __linux__
        if (kill_with_parent) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) {
                _exit(127);
            }
        }
#else
        (void)parent;
        (void)kill_with_parent;
#endif
        if (stdin_fd >= 0 && stdin_fd != 0 && dup2(stdin_fd, 0) < 0) goto fail;
        if (stdout_fd >= 0 && stdout_fd != 1 && dup2(stdout_fd, 1) < 0) goto fail;
        if (stderr_fd >= 0 && stderr_fd != 2 && dup2(stderr_fd, 2) < 0) goto fail;
        execve(path, argv, envp);
    fail:;
        int err = errno;
        ssize_t ignored = write(report[1], &err, sizeof err);
        (void)ignored;
        _exit(127);
    }
    close(report[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_errno) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return child_errno;
    }
    *pid_out = pid;
    return 0;
}

static const char *termination_message = NULL;

static void exit_on_signal(int sig) {
    if (termination_message != NULL) {
        ssize_t ignored = write(2, termination_message, strlen(termination_message));
        (void)ignored;
    }
    _exit(128 + sig);
}

static const int termination_signals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};

void bbf_exit_on_termination_signals(const char *message) {
    termination_message = message;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = exit_on_signal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof termination_signals / sizeof termination_signals[0]; i++) {
        sigaction(termination_signals[i], &action, NULL);
    }
}

void bbf_default_termination_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof termination_signals / sizeof termination_signals[0]; i++) {
        sigaction(termination_signals[i], &action, NULL);
    }
}

int bbf_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int bbf_syncfs(int fd) {
#ifdef __linux__
    return syncfs(fd);
#else
    (void)fd;
    sync();
    return 0;
#endif
}

static int copy_by_reading(int in, int out) {
    char buffer[65536];
    for (;;) {
        ssize_t got = read(in, buffer, sizeof buffer);
        if (got == 0) return 0;
        if (got < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        ssize_t done = 0;
        while (done < got) {
            ssize_t put = write(out, buffer + done, (size_t)(got - done));
            if (put < 0) {
                if (errno == EINTR) continue;
                return errno;
            }
            done += put;
        }
    }
}

int bbf_copy_file(const char *source, const char *destination, mode_t mode, int sync) {
    int in = open(source, O_RDONLY | O_CLOEXEC);
    if (in < 0) return errno;
    int out = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0) {
        int saved = errno;
        close(in);
        return saved;
    }
    int result = 0;
    struct stat info;
    if (fstat(in, &info) != 0) {
        result = errno;
    } else {
        off_t left = info.st_size;
        int kernel = 1;
#ifdef __linux__
        while (left > 0) {
            ssize_t copied = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
            if (copied < 0) {
                if (errno == EINTR) continue;
                if (errno == ENOSYS || errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP) {
                    kernel = 0;
                } else {
                    result = errno;
                }
                break;
            }
            if (copied == 0) break; /* the file shrank: copy what is there */
            left -= copied;
        }
#else
        kernel = 0;
#endif
        if (result == 0 && !kernel) {
            /* Nothing was copied by the kernel, or the copy stopped part way: start over by hand. */
            if (lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 || ftruncate(out, 0) != 0) {
                result = errno;
            } else {
                result = copy_by_reading(in, out);
            }
        }
    }
    if (result == 0 && sync && fsync(out) != 0) result = errno;
    if (close(out) != 0 && result == 0) result = errno;
    close(in);
    return result;
}

int bbf_random_bytes(void *buffer, size_t count) {
    unsigned char *bytes = buffer;
    while (count > 0) {
#ifdef __linux__
        ssize_t got = getrandom(bytes, count, 0);
#else
        ssize_t got = -1;
        errno = ENOSYS;
#endif
        if (got < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        bytes += got;
        count -= (size_t)got;
    }
    return 0;
}
