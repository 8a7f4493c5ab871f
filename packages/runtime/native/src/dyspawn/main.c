/* dyspawn: runs short host tools (ip, iptables, mount, dyrt…) for the engine daemon.
 *
 * A Node process forks to start a child, and fork copies page tables in proportion to the parent's memory:
 * from a daemon with a large heap every `ip` costs 10-20 ms before it even runs. This small helper starts
 * them with posix_spawn (vfork) instead, one request at a time, over its stdin/stdout:
 *
 *   request:  u32 len | u32 argc | u32 input_len | argv as NUL-terminated strings | input bytes
 *   response: u32 len | i32 kind (0 exited, 1 killed by signal, 2 could not start) | i32 code (status, signal
 *             or errno) | u32 stdout_len | u32 stderr_len | stdout bytes | stderr bytes
 *
 * Integers are little-endian (native on every host we run on). It exits when its stdin closes.
 *
 * An argv[0] starting with '@' names a builtin (builtins.c), run in this process and answered the same way; the
 * same builtins run once from the command line: `dyspawn @umount <path>`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builtins.h"

extern char **environ;

#define MAX_REQUEST (64u << 20)

struct buf {
  char *data;
  size_t len, cap;
};

void die(const char *what)
{
  fprintf(stderr, "dyspawn: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void buf_add(struct buf *b, const char *p, size_t n)
{
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n)
      cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
      die("realloc");
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

/* Reads exactly n bytes; false on a clean end of input before the first byte. */
static bool read_full(int fd, void *p, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *) p + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      die("read request");
    if (r == 0) {
      if (got == 0)
        return false;
      errno = EPROTO;
      die("truncated request");
    }
    got += (size_t) r;
  }
  return true;
}

static void write_full(int fd, const void *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      die("write response");
    p = (const char *) p + w;
    n -= (size_t) w;
  }
}

static void respond(int32_t kind, int32_t code, const struct buf *out, const struct buf *err)
{
  uint32_t head[5] = {(uint32_t) (16 + out->len + err->len), (uint32_t) kind, (uint32_t) code,
                      (uint32_t) out->len, (uint32_t) err->len};
  write_full(1, head, sizeof head);
  if (out->len)
    write_full(1, out->data, out->len);
  if (err->len)
    write_full(1, err->data, err->len);
}

static void run_one(char **argv, const char *input, size_t input_len)
{
  struct buf out = {0}, err = {0};
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0)
    die("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all); /* SIGPIPE is ignored here, not in the tools */
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    respond(2, rc, &out, &err);
    return;
  }
  fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (input_len == 0) {
    close(in_fd);
    in_fd = -1;
  }
  int fds[2] = {out_pipe[0], err_pipe[0]};
  struct buf *bufs[2] = {&out, &err};
  while (fds[0] >= 0 || fds[1] >= 0 || in_fd >= 0) {
    struct pollfd p[3];
    int n = 0;
    for (int i = 0; i < 2; i++)
      p[n++] = (struct pollfd) {.fd = fds[i], .events = POLLIN};
    p[n++] = (struct pollfd) {.fd = in_fd, .events = POLLOUT};
    if (poll(p, (nfds_t) n, -1) < 0) {
      if (errno == EINTR)
        continue;
      die("poll");
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char chunk[65536];
      ssize_t r = read(fds[i], chunk, sizeof chunk);
      if (r > 0) {
        buf_add(bufs[i], chunk, (size_t) r);
      } else if (r == 0 || errno != EINTR) {
        close(fds[i]);
        fds[i] = -1;
      }
    }
    if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in_fd, input + written, input_len - written);
      if (w > 0)
        written += (size_t) w;
      /* A tool that exits without reading its input: its exit status tells. */
      if (written == input_len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      die("waitpid");
  }
  if (WIFSIGNALED(status))
    respond(1, WTERMSIG(status), &out, &err);
  else
    respond(0, WEXITSTATUS(status), &out, &err);
  free(out.data);
  free(err.data);
}

static void run_builtin_request(char **argv)
{
  char answer[1024] = "", message[1024] = "";
  struct buf out = {0}, err = {0};
  int status = run_builtin(argv, answer, message, sizeof message - 1);
  buf_add(&out, answer, strlen(answer));
  if (*message) {
    strcat(message, "\n");
    buf_add(&err, message, strlen(message));
  }
  respond(0, status, &out, &err);
  free(out.data);
  free(err.data);
}

int main(int argc, char **argv)
{
  signal(SIGPIPE, SIG_IGN);
  if (argc > 1) {
    if (argv[1][0] != '@') {
      fprintf(stderr, "usage: dyspawn (requests on stdin) | dyspawn @builtin args...\n");
      return 2;
    }
    char answer[1024] = "", message[1024] = "";
    int status = run_builtin(argv + 1, answer, message, sizeof message);
    fputs(answer, stdout);
    if (*message)
      fprintf(stderr, "dyspawn: %s\n", message);
    return status;
  }
  for (;;) {
    uint32_t head[3];
    if (!read_full(0, head, sizeof head[0]))
      return 0;
    read_full(0, &head[1], sizeof head - sizeof head[0]);
    uint32_t len = head[0], nargs = head[1], input_len = head[2];
    if (len < 8 || len > MAX_REQUEST || nargs == 0 || nargs > 4096 || input_len > len - 8) {
      errno = EPROTO;
      die("bad request header");
    }
    size_t body_len = len - 8;
    char *body = malloc(body_len + 1);
    if (!body)
      die("malloc");
    read_full(0, body, body_len);
    body[body_len] = '\0';
    size_t strings_len = body_len - input_len;
    char **args = calloc(nargs + 1, sizeof *args);
    if (!args)
      die("calloc");
    size_t off = 0;
    for (uint32_t i = 0; i < nargs; i++) {
      if (off >= strings_len) {
        errno = EPROTO;
        die("argv runs past the request");
      }
      args[i] = body + off;
      off += strlen(body + off) + 1;
    }
    if (off != strings_len) {
      errno = EPROTO;
      die("argv does not fill the request");
    }
    if (args[0][0] == '@')
      run_builtin_request(args);
    else
      run_one(args, body + strings_len, input_len);
    free(args);
    free(body);
  }
}
