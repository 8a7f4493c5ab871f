/* Docker json-file logs: one JSON object per chunk of output,
 * {"log":"...","stream":"stdout|stderr","time":"<RFC3339Nano>"}\n,
 * rotated to FILE.1 .. FILE.N when FILE reaches the size cap. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dyshim.h"

static const char hexdigits[] = "0123456789abcdef";

/* Length of the UTF-8 sequence started by lead byte c (0 = invalid lead),
 * and the allowed range of its second byte (excludes overlongs, surrogates
 * and code points above U+10FFFF). */
static size_t utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
  *lo = 0x80;
  *hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    return 2;
  if (c == 0xE0) {
    *lo = 0xA0;
    return 3;
  }
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
    return 3;
  if (c == 0xED) {
    *hi = 0x9F;
    return 3;
  }
  if (c == 0xF0) {
    *lo = 0x90;
    return 4;
  }
  if (c >= 0xF1 && c <= 0xF3)
    return 4;
  if (c == 0xF4) {
    *hi = 0x8F;
    return 4;
  }
  return 0;
}

size_t json_escape_utf8(const unsigned char *p, size_t n, bool hold_incomplete,
                        void (*sink)(const char *p, size_t n, void *ctx), void *ctx)
{
  char out[4096];
  size_t o = 0;
  size_t i = 0;
#define ROOM(k)                                                                                              \
  do {                                                                                                       \
    if (o + (k) > sizeof out) {                                                                              \
      sink(out, o, ctx);                                                                                     \
      o = 0;                                                                                                 \
    }                                                                                                        \
  } while (0)

  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ROOM(6);
      switch (c) {
      case '"':
      case '\\':
        out[o++] = '\\';
        out[o++] = (char) c;
        break;
      case '\n':
        out[o++] = '\\';
        out[o++] = 'n';
        break;
      case '\r':
        out[o++] = '\\';
        out[o++] = 'r';
        break;
      case '\t':
        out[o++] = '\\';
        out[o++] = 't';
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          memcpy(out + o, "\\u00", 4);
          out[o + 4] = hexdigits[c >> 4];
          out[o + 5] = hexdigits[c & 15];
          o += 6;
        } else {
          out[o++] = (char) c;
        }
      }
      i++;
      continue;
    }

    unsigned char lo, hi;
    size_t len = utf8_lead(c, &lo, &hi);
    size_t good = 0; /* continuation bytes present and valid */
    bool bad = len == 0;
    for (size_t k = 1; !bad && k < len && i + k < n; k++) {
      unsigned char d = p[i + k];
      if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF))
        bad = true;
      else
        good++;
    }
    if (!bad && good == len - 1) {
      ROOM(4);
      memcpy(out + o, p + i, len);
      o += len;
      i += len;
      continue;
    }
    if (!bad && hold_incomplete && i + 1 + good == n) {
      /* A character split across reads: keep its start for the next chunk. */
      if (o)
        sink(out, o, ctx);
      return n - i;
    }
    ROOM(3);
    memcpy(out + o, "\xEF\xBF\xBD", 3);
    o += 3;
    i++;
  }
  if (o)
    sink(out, o, ctx);
  return 0;
#undef ROOM
}

static struct {
  char *path;
  int fd;
  long long size;
  long long max_size;
  int max_files;
} lg = {.fd = -1};

static char line_buf[16384];
static size_t line_len;
static size_t body_bytes;
static unsigned char carry[2][4];
static size_t carry_len[2];

static void line_flush(void)
{
  if (line_len == 0)
    return;
  /* A full disk loses log lines but must not stop the container's output. */
  if (write_all(lg.fd, line_buf, line_len) == 0)
    lg.size += (long long) line_len;
  line_len = 0;
}

static void line_put(const char *p, size_t n)
{
  while (n > 0) {
    if (line_len == sizeof line_buf)
      line_flush();
    size_t k = sizeof line_buf - line_len < n ? sizeof line_buf - line_len : n;
    memcpy(line_buf + line_len, p, k);
    line_len += k;
    p += k;
    n -= k;
  }
}

static void body_sink(const char *p, size_t n, void *ctx)
{
  (void) ctx;
  body_bytes += n;
  line_put(p, n);
}

static int open_log(int extra_flags)
{
  int fd = open(lg.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra_flags, 0640);
  if (fd < 0)
    return -1;
  struct stat st;
  lg.size = fstat(fd, &st) == 0 ? st.st_size : 0;
  lg.fd = fd;
  return 0;
}

static void rotate(void)
{
  close(lg.fd);
  lg.fd = -1;
  size_t plen = strlen(lg.path) + 16;
  char *from = malloc(plen), *to = malloc(plen);
  if (from && to && lg.max_files > 0) {
    for (int i = lg.max_files - 1; i >= 1; i--) {
      snprintf(from, plen, "%s.%d", lg.path, i);
      snprintf(to, plen, "%s.%d", lg.path, i + 1);
      rename(from, to);
    }
    snprintf(to, plen, "%s.1", lg.path);
    rename(lg.path, to);
  }
  free(from);
  free(to);
  if (open_log(O_TRUNC) < 0)
    shim_log("cannot reopen log %s: %s", lg.path, strerror(errno));
}

static bool created_by_us;

int log_open(const char *path, long long max_size, int max_files)
{
  lg.path = strdup(path);
  lg.max_size = max_size;
  lg.max_files = max_files;
  created_by_us = access(path, F_OK) != 0;
  return lg.path ? open_log(0) : -1;
}

void log_abandon(void)
{
  if (lg.fd < 0)
    return;
  bool empty = lg.size == 0;
  log_close();
  if (created_by_us && empty)
    unlink(lg.path);
}

static void write_line(int stream, const unsigned char *p, size_t n, bool hold)
{
  line_len = 0;
  body_bytes = 0;
  line_put("{\"log\":\"", 8);
  size_t held = 0;

  if (carry_len[stream] > 0) {
    unsigned char lo, hi;
    size_t want = utf8_lead(carry[stream][0], &lo, &hi);
    size_t take = want - carry_len[stream];
    if (take > n)
      take = n;
    unsigned char seq[8];
    memcpy(seq, carry[stream], carry_len[stream]);
    memcpy(seq + carry_len[stream], p, take);
    size_t seqlen = carry_len[stream] + take;
    p += take;
    n -= take;
    if (seqlen < want && hold) {
      memcpy(carry[stream], seq, seqlen);
      carry_len[stream] = seqlen;
      line_len = 0;
      return;
    }
    carry_len[stream] = 0;
    json_escape_utf8(seq, seqlen, false, body_sink, NULL);
  }
  if (n > 0)
    held = json_escape_utf8(p, n, hold, body_sink, NULL);
  if (held > 0) {
    memcpy(carry[stream], p + n - held, held);
    carry_len[stream] = held;
  }
  if (body_bytes == 0) {
    line_len = 0;
    return;
  }

  char when[64];
  format_rfc3339nano(when, sizeof when);
  char tail[128];
  int tl = snprintf(tail, sizeof tail, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                    stream == 0 ? "stdout" : "stderr", when);
  line_put(tail, (size_t) tl);
  line_flush();
  if (lg.max_size > 0 && lg.size >= lg.max_size)
    rotate();
}

void log_chunk(int stream, const char *p, size_t n)
{
  if (lg.fd < 0 || n == 0)
    return;
  write_line(stream, (const unsigned char *) p, n, true);
}

void log_flush_pending(void)
{
  for (int s = 0; s < 2; s++) {
    if (lg.fd >= 0 && carry_len[s] > 0)
      write_line(s, (const unsigned char *) "", 0, false);
  }
}

void log_close(void)
{
  if (lg.fd >= 0)
    close(lg.fd);
  lg.fd = -1;
}
