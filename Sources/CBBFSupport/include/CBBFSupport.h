#ifndef CBBFSUPPORT_H
#define CBBFSUPPORT_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a child process.
///
/// In the child, before exec: the signal mask is cleared and every signal's
/// disposition is reset to its default; fds `stdin_fd`, `stdout_fd` and
/// `stderr_fd` (when >= 0) are duplicated onto 0, 1 and 2; when
/// `kill_with_parent` is non-zero the child gets SIGKILL if this process dies
/// (PR_SET_PDEATHSIG), so an interrupted entrypoint never leaves a temporary
/// server or initdb running behind it.
///
/// Returns 0 and stores the child's pid, or an errno value: the child reports
/// a failed exec back through a close-on-exec pipe, so "no such file" is an
/// error here rather than an exit status of 127.
int bbf_spawn(const char *path, char *const argv[], char *const envp[],
              int stdin_fd, int stdout_fd, int stderr_fd,
              int kill_with_parent, pid_t *pid_out);

/// Makes SIGINT, SIGTERM, SIGQUIT and SIGHUP end this process at once with
/// status 128 + signal, after writing `message` (which must stay valid) to
/// stderr. Used while initializing: PID 1 in a container ignores signals it
/// has no handler for, and a stop request must not wait for a timeout.
/// Children started with `kill_with_parent` die with it.
void bbf_exit_on_termination_signals(const char *message);

/// Restores the default disposition of the signals above.
void bbf_default_termination_signals(void);

/// pipe2(fds, O_CLOEXEC). Returns 0 or -1 with errno set.
int bbf_pipe_cloexec(int fds[2]);

/// syncfs(fd) on Linux, sync() elsewhere. Returns 0 or -1 with errno set.
int bbf_syncfs(int fd);

/// Copies the regular file `source` into a new file `destination` (created
/// with O_EXCL and `mode`, so an existing file is an error): in the kernel
/// with copy_file_range (a reflink on file systems that share extents),
/// falling back to read/write where the kernel or file system has none.
/// With `sync` non-zero the new file is fsynced before it is closed.
/// Returns 0, or an errno value (the failing call's).
int bbf_copy_file(const char *source, const char *destination, mode_t mode, int sync);

/// Fills `buffer` with `count` bytes from the kernel's random source
/// (getrandom). Returns 0 or an errno value.
int bbf_random_bytes(void *buffer, size_t count);

#endif
