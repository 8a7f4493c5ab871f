#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dyshim.h"

int bytebuf_append(struct bytebuf *b, const void *p, size_t n)
{
  if (n == 0)
    return 0;
  if (b->off + b->len + n > b->cap) {
    if (b->off > 0) {
      memmove(b->data, b->data + b->off, b->len);
      b->off = 0;
    }
    if (b->len + n > b->cap) {
      size_t cap = b->cap ? b->cap : 4096;
      while (cap < b->len + n)
        cap *= 2;
      char *d = realloc(b->data, cap);
      if (!d)
        return -1;
      b->data = d;
      b->cap = cap;
    }
  }
  memcpy(b->data + b->off + b->len, p, n);
  b->len += n;
  return 0;
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
  if (n >= b->len) {
    /* Drained: give big buffers back so an idle shim stays small. */
    b->off = 0;
    b->len = 0;
    if (b->cap > 65536)
      bytebuf_free(b);
    return;
  }
  b->off += n;
  b->len -= n;
}

void bytebuf_free(struct bytebuf *b)
{
  free(b->data);
  b->data = NULL;
  b->off = b->len = b->cap = 0;
}

void frame_header(char out[FRAME_HEADER_SIZE], uint8_t type, uint32_t len)
{
  out[0] = (char) type;
  out[1] = (char) (len >> 24);
  out[2] = (char) (len >> 16);
  out[3] = (char) (len >> 8);
  out[4] = (char) len;
}

void shim_log(const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  dprintf(STDERR_FILENO, "dyshim: %s\n", msg);
}

int write_all(int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    c += w;
    n -= (size_t) w;
  }
  return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
  char tmp[4096];
  if ((size_t) snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
    int e = errno;
    close(fd);
    unlink(tmp);
    errno = e;
    return -1;
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return -1;
  }
  return 0;
}

void format_rfc3339nano(char *out, size_t outlen)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  int fl = snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
  while (fl > 1 && frac[fl - 1] == '0')
    fl--;
  if (fl == 1)
    fl = 0;
  snprintf(out + n, outlen - n, "%.*sZ", fl, frac);
}

/* Children must not inherit the shim's blocked signals or ignored SIGPIPE. */
void reset_child_signals(void)
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
}
