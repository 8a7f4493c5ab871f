/* Small helpers shared by the native programs (dyrt, dyshim). */
#ifndef DY_UTIL_H
#define DY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define DY_NORETURN __attribute__((noreturn))
#define DY_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Program name used in error messages ("dyrt: ..."). */
extern const char *dy_progname;
/* Optional log file (--log) and its format (text|json). */
extern int dy_log_fd;
extern int dy_log_json;
/* When >= 0, fatal errors are sent over this SOCK_SEQPACKET to the parent
 * instead of stderr (used by processes forked to set up a container). */
extern int dy_error_fd;

void dy_die(const char *fmt, ...) DY_NORETURN DY_PRINTF(1, 2);
void dy_die_errno(const char *fmt, ...) DY_NORETURN DY_PRINTF(1, 2);
void dy_warn(const char *fmt, ...) DY_PRINTF(1, 2);
void dy_log_message(const char *level, const char *msg);

void *dy_xmalloc(size_t n);
void *dy_xcalloc(size_t n, size_t m);
char *dy_xstrdup(const char *s);
char *dy_xasprintf(const char *fmt, ...) DY_PRINTF(1, 2);

/* Write a whole buffer to a path (O_WRONLY|O_TRUNC, no create unless mode != 0). */
int dy_write_file(const char *path, const char *data, size_t len, mode_t create_mode);
int dy_write_file_str(const char *path, const char *s);
int dy_write_file_at(int dirfd, const char *name, const char *s);
/* Read a small file into a NUL-terminated malloc'd buffer; NULL on error. */
char *dy_read_file(const char *path, size_t *len_out);
char *dy_read_file_at(int dirfd, const char *name, size_t *len_out);
int dy_mkdir_p(const char *path, mode_t mode);
/* Atomically replace path with data (write to a temp file, rename). */
int dy_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

ssize_t dy_write_all(int fd, const void *buf, size_t len);
ssize_t dy_read_all(int fd, void *buf, size_t len);

/* fd passing over unix sockets (SCM_RIGHTS). */
int dy_send_fd(int sock, int fd, const void *data, size_t len);
int dy_recv_fd(int sock, int *fd_out, void *data, size_t len);

/* Process start time (field 22 of /proc/<pid>/stat) or 0 if gone. */
unsigned long long dy_proc_start_time(pid_t pid);

#endif
