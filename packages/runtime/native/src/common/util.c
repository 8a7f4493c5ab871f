#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *dy_progname = "dy";
int dy_log_fd = -1;
int dy_log_json = 0;
int dy_error_fd = -1;

static void json_escape(char *out, size_t outlen, const char *s)
{
  size_t o = 0;
  for (; *s && o + 7 < outlen; s++) {
    unsigned char c = (unsigned char) *s;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char) c;
    } else if (c < 0x20) {
      o += (size_t) snprintf(out + o, outlen - o, "\\u%04x", c);
    } else {
      out[o++] = (char) c;
    }
  }
  out[o] = '\0';
}

void dy_log_message(const char *level, const char *msg)
{
  if (dy_log_fd < 0)
    return;
  char line[4096];
  struct timespec ts;
  struct tm tm;
  char when[64];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  int n;
  if (dy_log_json) {
    char esc[3000];
    json_escape(esc, sizeof esc, msg);
    n = snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s.%09ldZ\"}\n", level, esc, when,
                 ts.tv_nsec);
  } else {
    n = snprintf(line, sizeof line, "%s.%09ldZ %s: %s\n", when, ts.tv_nsec, level, msg);
  }
  if (n > 0)
    dy_write_all(dy_log_fd, line, (size_t) (n < (int) sizeof line ? n : (int) sizeof line - 1));
}

static DY_NORETURN void die_with(const char *msg)
{
  if (dy_error_fd >= 0) {
    /* A setup child: the parent prints the message and cleans up. */
    send(dy_error_fd, msg, strlen(msg), MSG_NOSIGNAL);
    _exit(1);
  }
  dy_log_message("error", msg);
  fprintf(stderr, "%s: %s\n", dy_progname, msg);
  exit(1);
}

void dy_die(const char *fmt, ...)
{
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  die_with(msg);
}

void dy_die_errno(const char *fmt, ...)
{
  int saved = errno;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t) n < sizeof msg)
    snprintf(msg + n, sizeof msg - (size_t) n, ": %s", strerror(saved));
  die_with(msg);
}

void dy_warn(const char *fmt, ...)
{
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  dy_log_message("warning", msg);
  if (dy_log_fd < 0)
    fprintf(stderr, "%s: warning: %s\n", dy_progname, msg);
}

void *dy_xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p)
    dy_die("out of memory");
  return p;
}

void *dy_xcalloc(size_t n, size_t m)
{
  void *p = calloc(n ? n : 1, m ? m : 1);
  if (!p)
    dy_die("out of memory");
  return p;
}

char *dy_xstrdup(const char *s)
{
  char *p = strdup(s ? s : "");
  if (!p)
    dy_die("out of memory");
  return p;
}

char *dy_xasprintf(const char *fmt, ...)
{
  char *out;
  va_list ap;
  va_start(ap, fmt);
  int r = vasprintf(&out, fmt, ap);
  va_end(ap);
  if (r < 0)
    dy_die("out of memory");
  return out;
}

ssize_t dy_write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, p + done, len - done);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    done += (size_t) w;
  }
  return (ssize_t) done;
}

ssize_t dy_read_all(int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t r = read(fd, p + done, len - done);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    done += (size_t) r;
  }
  return (ssize_t) done;
}

int dy_write_file(const char *path, const char *data, size_t len, mode_t create_mode)
{
  int flags = O_WRONLY | O_CLOEXEC | (create_mode ? O_CREAT | O_TRUNC : 0);
  int fd = open(path, flags, create_mode);
  if (fd < 0)
    return -1;
  ssize_t w = dy_write_all(fd, data, len);
  int saved = errno;
  close(fd);
  errno = saved;
  return w < 0 ? -1 : 0;
}

int dy_write_file_str(const char *path, const char *s)
{
  return dy_write_file(path, s, strlen(s), 0);
}

int dy_write_file_at(int dirfd, const char *name, const char *s)
{
  int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t w = dy_write_all(fd, s, strlen(s));
  int saved = errno;
  close(fd);
  errno = saved;
  return w < 0 ? -1 : 0;
}

char *dy_read_file_at(int dirfd, const char *name, size_t *len_out)
{
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = dy_xmalloc(cap);
  for (;;) {
    if (len + 1 >= cap) {
      cap *= 2;
      char *n = realloc(buf, cap);
      if (!n)
        dy_die("out of memory");
      buf = n;
    }
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      int saved = errno;
      free(buf);
      close(fd);
      errno = saved;
      return NULL;
    }
    if (r == 0)
      break;
    len += (size_t) r;
  }
  close(fd);
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  return buf;
}

char *dy_read_file(const char *path, size_t *len_out)
{
  return dy_read_file_at(AT_FDCWD, path, len_out);
}

int dy_mkdir_p(const char *path, mode_t mode)
{
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, n + 1);
  if (mkdir(buf, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return -1;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if (mkdir(buf, mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

int dy_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int) getpid());
  if (dy_write_file(tmp, data, len, mode) < 0)
    return -1;
  if (rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return -1;
  }
  return 0;
}

int dy_send_fd(int sock, int fd, const void *data, size_t len)
{
  char dummy = 0;
  struct iovec iov = { .iov_base = (void *) (data ? data : &dummy), .iov_len = data ? len : 1 };
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t r;
  do
    r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int dy_recv_fd(int sock, int *fd_out, void *data, size_t len)
{
  char dummy;
  struct iovec iov = { .iov_base = data ? data : &dummy, .iov_len = data ? len : 1 };
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t r;
  do
    r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r <= 0)
    return -1;
  *fd_out = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy(fd_out, CMSG_DATA(c), sizeof(int));
  return *fd_out < 0 ? -1 : (int) r;
}

unsigned long long dy_proc_start_time(pid_t pid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
  char *s = dy_read_file(path, NULL);
  if (!s)
    return 0;
  /* Field 2 (comm) may contain spaces: start after the last ')'. */
  char *p = strrchr(s, ')');
  unsigned long long start = 0;
  if (p) {
    p += 2; /* now at field 3 */
    for (int field = 3; field < 22 && p; field++) {
      p = strchr(p, ' ');
      if (p)
        p++;
    }
    if (p)
      start = strtoull(p, NULL, 10);
  }
  free(s);
  return start;
}
