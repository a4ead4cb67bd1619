#define _GNU_SOURCE
#include "CBBFSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
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
