/* The shim's event loop: container output → scrollback, logs and attached
 * clients; client frames → stdin, resize, signals; exit → exit file,
 * EXIT frames, exit command, a short linger, then the shim exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dyshim.h"

/* After the process exits, output already written is drained for at most
 * this long (a background child may keep the pipe or PTY open). */
#define DRAIN_MS 1000
#define LINGER_MS 2000
#define READ_CHUNK (64 * 1024)
/* Flow control: while some client is this far behind, container output is
 * not read (the container blocks on its pipe or terminal, as it would on a
 * real terminal), so a client that keeps reading is throttled to, not
 * dropped. A client that stays behind without reading anything for
 * STALL_MS is dropped and output resumes: no client can hold the container
 * for longer than that, and memory stays bounded either way. */
#define OUTPUT_PAUSE_BYTES (256 * 1024)
#define STALL_MS 2000
#define STALL_CHECK_MS 200

enum source_kind { SRC_SIGNAL, SRC_LISTEN, SRC_OUTPUT, SRC_STDIN, SRC_TIMER, SRC_STALL_TIMER, SRC_PIDFD, SRC_CLIENT };

struct source {
  enum source_kind kind;
  int fd;
  int index;
  uint32_t events;
};

struct client {
  struct source src; /* first member: epoll data points here */
  bool attached;
  bool sends_stdin;
  bool closing; /* close once the outbound buffer is flushed */
  bool dead;
  uint64_t last_progress_ms; /* last time it took bytes, or fell behind */
  struct bytebuf in;
  struct bytebuf out;
  struct client *next;
};

enum phase { PHASE_RUNNING, PHASE_DRAINING, PHASE_LINGER };

static struct {
  const struct shim_options *o;
  int epfd;
  struct source sig, listen, output[2], stdin_src, timer, stall_timer, pidfd;
  bool output_paused;
  int master_fd;
  pid_t pid;
  enum phase phase;
  struct bytebuf stdin_buf;
  bool stdin_close_requested;
  bool clients_paused;
  struct client *clients;
  int nclients;
  struct client *graveyard;
  char exit_json[256];
  size_t exit_len;
  dev_t attach_dev;
  ino_t attach_ino;
} S;

static char read_buf[READ_CHUNK];

static void finalize(void);
static void maybe_resume_output(void);

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void ep_set(struct source *s, uint32_t events)
{
  if (s->fd < 0 || s->events == events)
    return;
  struct epoll_event ev = {.events = events, .data.ptr = s};
  epoll_ctl(S.epfd, EPOLL_CTL_MOD, s->fd, &ev);
  s->events = events;
}

static void ep_add(struct source *s, enum source_kind kind, int fd, uint32_t events)
{
  s->kind = kind;
  s->fd = fd;
  s->events = events;
  struct epoll_event ev = {.events = events, .data.ptr = s};
  if (epoll_ctl(S.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    shim_log("epoll_ctl add: %s", strerror(errno));
}

static void ep_close(struct source *s)
{
  if (s->fd < 0)
    return;
  epoll_ctl(S.epfd, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  s->fd = -1;
}

static void arm_timer(int ms)
{
  struct itimerspec its = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L}};
  timerfd_settime(S.timer.fd, 0, &its, NULL);
}

static void arm_stall_timer(bool on)
{
  struct timespec every = {.tv_sec = 0, .tv_nsec = on ? STALL_CHECK_MS * 1000000L : 0};
  struct itimerspec its = {.it_value = every, .it_interval = every};
  timerfd_settime(S.stall_timer.fd, 0, &its, NULL);
}

/* A successor shim (a restarted container) may already own these names in
 * the same state dir: remove them only if they are still ours. */
static void cleanup_and_exit(int code) SHIM_NORETURN;
static void cleanup_and_exit(int code)
{
  struct stat st;
  if (stat("attach.sock", &st) == 0 && st.st_dev == S.attach_dev && st.st_ino == S.attach_ino)
    unlink("attach.sock");
  char buf[32];
  int fd = open("shim.pid", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r > 0) {
      buf[r] = '\0';
      if (atol(buf) == (long) getpid())
        unlink("shim.pid");
    }
  }
  _exit(code);
}

/* ---- clients ---- */

static void client_update(struct client *c)
{
  uint32_t want = 0;
  if (!c->closing && !S.clients_paused)
    want |= EPOLLIN;
  if (c->out.len > 0)
    want |= EPOLLOUT;
  ep_set(&c->src, want);
}

static void client_drop(struct client *c)
{
  if (c->dead)
    return;
  c->dead = true;
  ep_close(&c->src);
  bytebuf_free(&c->in);
  bytebuf_free(&c->out);
  for (struct client **p = &S.clients; *p; p = &(*p)->next) {
    if (*p == c) {
      *p = c->next;
      break;
    }
  }
  S.nclients--;
  maybe_resume_output();
  /* Freed after the current batch of events, which may still name it. */
  c->next = S.graveyard;
  S.graveyard = c;
}

static void client_finish(struct client *c)
{
  c->closing = true;
  if (c->out.len == 0)
    client_drop(c);
  else
    client_update(c);
}

/* Queues one frame; a client whose backlog would pass the cap is dropped so
 * it can never hold up the container or the other clients. */
static void client_send(struct client *c, uint8_t type, const char *p, size_t n)
{
  if (c->dead || c->closing)
    return;
  char hdr[FRAME_HEADER_SIZE];
  frame_header(hdr, type, (uint32_t) n);
  size_t total = FRAME_HEADER_SIZE + n, sent = 0;
  if (c->out.len == 0) {
    struct iovec iov[2] = {{.iov_base = hdr, .iov_len = FRAME_HEADER_SIZE},
                           {.iov_base = (void *) p, .iov_len = n}};
    ssize_t w = writev(c->src.fd, iov, n ? 2 : 1);
    if (w < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        client_drop(c);
        return;
      }
      w = 0;
    }
    sent = (size_t) w;
    if (sent == total)
      return;
  }
  if (c->out.len + (total - sent) > CLIENT_OUT_CAP) {
    client_drop(c);
    return;
  }
  if (c->out.len == 0)
    c->last_progress_ms = now_ms();
  int rc = 0;
  if (sent < FRAME_HEADER_SIZE) {
    rc |= bytebuf_append(&c->out, hdr + sent, FRAME_HEADER_SIZE - sent);
    rc |= bytebuf_append(&c->out, p, n);
  } else {
    rc |= bytebuf_append(&c->out, p + (sent - FRAME_HEADER_SIZE), total - sent);
  }
  if (rc < 0) {
    client_drop(c);
    return;
  }
  client_update(c);
}

static void client_flush(struct client *c)
{
  while (c->out.len > 0) {
    ssize_t w = write(c->src.fd, bytebuf_head(&c->out), c->out.len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN)
        break;
      client_drop(c);
      return;
    }
    bytebuf_consume(&c->out, (size_t) w);
    c->last_progress_ms = now_ms();
  }
  if (c->out.len == 0 && c->closing) {
    client_drop(c);
    return;
  }
  client_update(c);
  if (c->out.len <= OUTPUT_PAUSE_BYTES)
    maybe_resume_output();
}

static int replay_to_client(uint8_t type, const char *p, size_t n, void *ctx)
{
  struct client *c = ctx;
  client_send(c, type, p, n);
  return c->dead ? -1 : 0;
}

static void set_clients_paused(bool paused)
{
  if (S.clients_paused == paused)
    return;
  S.clients_paused = paused;
  for (struct client *c = S.clients; c; c = c->next)
    client_update(c);
}

/* ---- container stdin ---- */

static void stdin_close_now(void)
{
  if (S.stdin_src.fd < 0)
    return;
  if (S.master_fd >= 0) {
    /* A terminal has no half-close: send its end-of-file character. */
    struct termios t;
    char eof = 4;
    if (tcgetattr(S.master_fd, &t) == 0 && t.c_cc[VEOF])
      eof = (char) t.c_cc[VEOF];
    if (write(S.stdin_src.fd, &eof, 1) < 0)
      shim_log("writing EOF to the terminal: %s", strerror(errno));
    ep_set(&S.stdin_src, 0);
    S.stdin_close_requested = false;
    return;
  }
  ep_close(&S.stdin_src);
  bytebuf_free(&S.stdin_buf);
  set_clients_paused(false);
}

static void stdin_flush(void)
{
  while (S.stdin_buf.len > 0) {
    ssize_t w = write(S.stdin_src.fd, bytebuf_head(&S.stdin_buf), S.stdin_buf.len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN)
        break;
      /* The reader is gone (EPIPE) or the terminal hung up (EIO). */
      bytebuf_free(&S.stdin_buf);
      if (S.master_fd < 0)
        ep_close(&S.stdin_src);
      else
        ep_set(&S.stdin_src, 0);
      set_clients_paused(false);
      return;
    }
    bytebuf_consume(&S.stdin_buf, (size_t) w);
  }
  ep_set(&S.stdin_src, S.stdin_buf.len > 0 ? EPOLLOUT : 0);
  if (S.stdin_buf.len < STDIN_PAUSE_BYTES / 2)
    set_clients_paused(false);
  if (S.stdin_buf.len == 0 && S.stdin_close_requested)
    stdin_close_now();
}

static void stdin_write(const char *p, size_t n)
{
  if (S.stdin_src.fd < 0 || n == 0 || S.phase != PHASE_RUNNING)
    return;
  if (bytebuf_append(&S.stdin_buf, p, n) < 0)
    return;
  stdin_flush();
  /* A container that does not read its stdin stops the clients that feed
   * it (their sockets fill up) instead of growing this buffer. */
  if (S.stdin_buf.len > STDIN_PAUSE_BYTES)
    set_clients_paused(true);
}

/* ---- client frames ---- */

static uint32_t be32(const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void handle_frame(struct client *c, uint8_t type, const unsigned char *p, uint32_t n)
{
  switch (type) {
  case FRAME_HELLO: {
    if (c->attached)
      return;
    uint8_t flags = n > 0 ? p[0] : 0;
    c->attached = true;
    c->sends_stdin = (flags & HELLO_STDIN) != 0;
    if ((flags & HELLO_REPLAY) && ring_foreach(replay_to_client, c) < 0)
      return;
    client_send(c, FRAME_REPLAY_END, NULL, 0);
    if (S.phase == PHASE_LINGER) {
      client_send(c, FRAME_EXIT, S.exit_json, S.exit_len);
      if (!c->dead)
        client_finish(c);
    }
    return;
  }
  case FRAME_STDIN:
    if (c->sends_stdin)
      stdin_write((const char *) p, n);
    return;
  case FRAME_RESIZE:
    if (S.master_fd >= 0 && n >= 4) {
      struct winsize ws = {.ws_row = (unsigned short) (p[0] << 8 | p[1]),
                           .ws_col = (unsigned short) (p[2] << 8 | p[3])};
      ioctl(S.master_fd, TIOCSWINSZ, &ws);
    }
    return;
  case FRAME_CLOSE_STDIN:
    if (!c->sends_stdin || S.stdin_src.fd < 0)
      return;
    if (S.stdin_buf.len > 0)
      S.stdin_close_requested = true;
    else
      stdin_close_now();
    return;
  case FRAME_SIGNAL:
    if (n >= 1 && p[0] > 0 && p[0] < 65 && S.phase == PHASE_RUNNING)
      kill(S.pid, p[0]);
    return;
  default:
    return; /* unknown frames are ignored for forward compatibility */
  }
}

static void client_read(struct client *c)
{
  ssize_t r = read(c->src.fd, read_buf, sizeof read_buf);
  if (r == 0) {
    client_drop(c);
    return;
  }
  if (r < 0) {
    if (errno != EAGAIN && errno != EINTR)
      client_drop(c);
    return;
  }
  if (bytebuf_append(&c->in, read_buf, (size_t) r) < 0) {
    client_drop(c);
    return;
  }
  while (!c->dead && c->in.len >= FRAME_HEADER_SIZE) {
    const unsigned char *h = (const unsigned char *) bytebuf_head(&c->in);
    uint32_t len = be32(h + 1);
    if (len > CLIENT_FRAME_MAX) {
      client_drop(c);
      return;
    }
    if (c->in.len < FRAME_HEADER_SIZE + (size_t) len)
      break;
    handle_frame(c, h[0], h + FRAME_HEADER_SIZE, len);
    if (!c->dead)
      bytebuf_consume(&c->in, FRAME_HEADER_SIZE + (size_t) len);
  }
}

static void accept_clients(void)
{
  for (;;) {
    int fd = accept4(S.listen.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    struct client *c = calloc(1, sizeof *c);
    if (!c || S.nclients >= MAX_CLIENTS) {
      free(c);
      close(fd);
      continue;
    }
    ep_add(&c->src, SRC_CLIENT, fd, EPOLLIN);
    c->next = S.clients;
    S.clients = c;
    S.nclients++;
    client_update(c);
  }
}

/* ---- container output ---- */

static bool some_client_behind(void)
{
  for (struct client *c = S.clients; c; c = c->next) {
    if (c->out.len > OUTPUT_PAUSE_BYTES)
      return true;
  }
  return false;
}

static void set_output_paused(bool paused)
{
  if (S.output_paused == paused)
    return;
  S.output_paused = paused;
  for (int i = 0; i < 2; i++) {
    struct source *s = &S.output[i];
    if (s->fd < 0)
      continue;
    /* Out of the epoll set entirely: a hung-up pipe would report EPOLLHUP
     * even with no events requested. */
    if (paused) {
      epoll_ctl(S.epfd, EPOLL_CTL_DEL, s->fd, NULL);
    } else {
      struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
      epoll_ctl(S.epfd, EPOLL_CTL_ADD, s->fd, &ev);
    }
  }
  arm_stall_timer(paused);
}

static void maybe_resume_output(void)
{
  if (S.output_paused && !some_client_behind())
    set_output_paused(false);
}

static void drop_stalled_clients(void)
{
  uint64_t ticks;
  if (read(S.stall_timer.fd, &ticks, sizeof ticks) < 0)
    return;
  uint64_t now = now_ms();
  for (struct client *c = S.clients, *next; c; c = next) {
    next = c->next;
    if (c->out.len > OUTPUT_PAUSE_BYTES && now - c->last_progress_ms >= STALL_MS)
      client_drop(c);
  }
  maybe_resume_output();
}

static bool outputs_closed(void)
{
  return S.output[0].fd < 0 && S.output[1].fd < 0;
}

static void close_output(int i)
{
  if (S.output_paused && S.output[i].fd >= 0) {
    close(S.output[i].fd);
    S.output[i].fd = -1;
  }
  ep_close(&S.output[i]);
  if (S.master_fd >= 0 && i == 0) {
    /* The PTY master is gone with it: no more resizes or stdin. */
    S.master_fd = -1;
    ep_close(&S.stdin_src);
    bytebuf_free(&S.stdin_buf);
    set_clients_paused(false);
  }
}

static void broadcast_output(int i, const char *p, size_t n)
{
  uint8_t type = i == 0 ? FRAME_STDOUT : FRAME_STDERR;
  ring_push(type, p, n);
  log_chunk(i, p, n);
  for (struct client *c = S.clients, *next; c; c = next) {
    next = c->next;
    if (c->attached)
      client_send(c, type, p, n);
  }
  if (!S.output_paused && some_client_behind())
    set_output_paused(true);
}

/* Returns false when nothing more can be read right now. */
static bool read_output(int i)
{
  ssize_t r = read(S.output[i].fd, read_buf, sizeof read_buf);
  if (r > 0) {
    broadcast_output(i, read_buf, (size_t) r);
    return true;
  }
  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return false;
  /* EOF, or EIO from a PTY master once no slave is open. */
  close_output(i);
  if (S.phase == PHASE_DRAINING && outputs_closed())
    finalize();
  return false;
}

/* ---- exit ---- */

/* Tells a listening engine that the container exited; false when none listens (then the exit command runs). */
static bool notify_exit(const char *socket_path)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return false;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path);
  char line[256];
  int n = snprintf(line, sizeof line, "%s\n", S.o->id);
  bool told = connect(fd, (struct sockaddr *) &addr, sizeof addr) == 0 && n > 0 && (size_t) n < sizeof line &&
              write(fd, line, (size_t) n) == n;
  close(fd);
  return told;
}

static void run_exit_command(void)
{
  const struct shim_options *o = S.o;
  if (!o->exit_command)
    return;
  if (o->exit_notify && notify_exit(o->exit_notify))
    return;
  pid_t pid = fork();
  if (pid != 0)
    return; /* reaped by the SIGCHLD handler while we linger */
  reset_child_signals();
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  char **argv = calloc((size_t) o->exit_command_nargs + 2, sizeof *argv);
  if (!argv)
    _exit(127);
  argv[0] = (char *) o->exit_command;
  for (int i = 0; i < o->exit_command_nargs; i++)
    argv[i + 1] = o->exit_command_args[i];
  execv(o->exit_command, argv);
  _exit(127);
}

static void write_exit_record(int status, bool known)
{
  int code = 255, sig = -1;
  if (known && WIFEXITED(status)) {
    code = WEXITSTATUS(status);
  } else if (known && WIFSIGNALED(status)) {
    sig = WTERMSIG(status);
    code = 128 + sig;
  }
  char when[64], sigtext[16];
  format_rfc3339nano(when, sizeof when);
  if (sig >= 0)
    snprintf(sigtext, sizeof sigtext, "%d", sig);
  else
    strcpy(sigtext, "null");
  int n = snprintf(S.exit_json, sizeof S.exit_json,
                   "{\"exitCode\":%d,\"signal\":%s,\"oomKilled\":%s,\"finishedAt\":\"%s\"}", code, sigtext,
                   !S.o->exec && oom_killed() ? "true" : "false", when);
  S.exit_len = (size_t) n;
  if (write_file_atomic("exit", S.exit_json, S.exit_len, 0644) < 0)
    shim_log("cannot write exit file: %s", strerror(errno));
}

static int exit_status;
static bool exit_status_known;

static void finalize(void)
{
  if (S.phase == PHASE_LINGER)
    return;
  S.phase = PHASE_LINGER;
  /* Last bounded look at the outputs (they may be paused for a slow reader). */
  for (int i = 0; i < 2; i++) {
    for (int rounds = 0; rounds < 4 && S.output[i].fd >= 0; rounds++) {
      if (!read_output(i))
        break;
    }
    close_output(i);
  }
  ep_close(&S.stdin_src);
  bytebuf_free(&S.stdin_buf);
  log_flush_pending();
  log_close();
  write_exit_record(exit_status, exit_status_known);
  for (struct client *c = S.clients, *next; c; c = next) {
    next = c->next;
    if (c->attached) {
      client_send(c, FRAME_EXIT, S.exit_json, S.exit_len);
      if (!c->dead)
        client_finish(c);
    }
  }
  run_exit_command();
  arm_timer(LINGER_MS);
}

static void on_container_exit(int status, bool known)
{
  if (S.phase != PHASE_RUNNING)
    return;
  exit_status = status;
  exit_status_known = known;
  S.phase = PHASE_DRAINING;
  ep_close(&S.pidfd);
  /* What the process wrote before exiting is already readable; take it now
   * (bounded, in case something else keeps writing; not past flow control). */
  for (int i = 0; i < 2; i++) {
    for (int rounds = 0; rounds < 32 && S.output[i].fd >= 0 && !S.output_paused; rounds++) {
      if (!read_output(i))
        break;
    }
  }
  if (S.phase == PHASE_DRAINING) {
    if (outputs_closed())
      finalize();
    else
      arm_timer(DRAIN_MS);
  }
}

static void reap_children(void)
{
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, WNOHANG);
    if (p <= 0)
      return;
    if (p == S.pid)
      on_container_exit(st, true);
  }
}

static void on_pidfd(void)
{
  int st;
  pid_t p = waitpid(S.pid, &st, WNOHANG);
  if (p == S.pid)
    on_container_exit(st, true);
  else if (p < 0 && errno == ECHILD)
    on_container_exit(0, false); /* not our child: status unknown */
  else
    ep_close(&S.pidfd); /* SIGCHLD will tell */
}

static void on_signal(void)
{
  struct signalfd_siginfo si;
  while (read(S.sig.fd, &si, sizeof si) == (ssize_t) sizeof si) {
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
      cleanup_and_exit(0);
  }
  reap_children();
}

static void on_timer(void)
{
  uint64_t ticks;
  if (read(S.timer.fd, &ticks, sizeof ticks) < 0)
    return;
  if (S.phase == PHASE_DRAINING)
    finalize();
  else if (S.phase == PHASE_LINGER)
    cleanup_and_exit(0);
}

void shim_serve(const struct shim_options *o, struct runtime_result *r, int listen_fd, int signal_fd)
{
  S.o = o;
  S.pid = r->pid;
  S.master_fd = r->master_fd;
  S.phase = PHASE_RUNNING;
  S.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (S.epfd < 0)
    cleanup_and_exit(1);
  S.output[0].fd = S.output[1].fd = S.stdin_src.fd = S.pidfd.fd = -1;
  struct stat st;
  if (stat("attach.sock", &st) == 0) {
    S.attach_dev = st.st_dev;
    S.attach_ino = st.st_ino;
  }

  ep_add(&S.sig, SRC_SIGNAL, signal_fd, EPOLLIN);
  ep_add(&S.listen, SRC_LISTEN, listen_fd, EPOLLIN);
  ep_add(&S.timer, SRC_TIMER, timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), EPOLLIN);
  ep_add(&S.stall_timer, SRC_STALL_TIMER, timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), EPOLLIN);
  for (int i = 0; i < 2; i++) {
    S.output[i].index = i;
    if (r->out_fds[i] >= 0)
      ep_add(&S.output[i], SRC_OUTPUT, r->out_fds[i], EPOLLIN);
  }
  if (r->stdin_fd >= 0)
    ep_add(&S.stdin_src, SRC_STDIN, r->stdin_fd, 0);
  /* A pidfd reports the exit even if the runtime left the process parented
   * elsewhere; normally SIGCHLD arrives as well. */
  int pidfd = (int) syscall(SYS_pidfd_open, S.pid, 0);
  if (pidfd >= 0)
    ep_add(&S.pidfd, SRC_PIDFD, pidfd, EPOLLIN);
  if (!o->exec)
    oom_watch(S.pid);
  reap_children();

  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(S.epfd, evs, 64, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      shim_log("epoll_wait: %s", strerror(errno));
      cleanup_and_exit(1);
    }
    for (int i = 0; i < n; i++) {
      struct source *s = evs[i].data.ptr;
      uint32_t ev = evs[i].events;
      switch (s->kind) {
      case SRC_SIGNAL:
        on_signal();
        break;
      case SRC_LISTEN:
        accept_clients();
        break;
      case SRC_TIMER:
        on_timer();
        break;
      case SRC_STALL_TIMER:
        drop_stalled_clients();
        break;
      case SRC_PIDFD:
        if (s->fd >= 0)
          on_pidfd();
        break;
      case SRC_OUTPUT:
        if (s->fd >= 0 && !S.output_paused)
          read_output(s->index);
        break;
      case SRC_STDIN:
        if (s->fd < 0)
          break;
        if (ev & (EPOLLERR | EPOLLHUP)) {
          /* The reader is gone (pipe) or no slave is open (PTY); hang-ups
           * are reported even with no events requested, so stop watching. */
          ep_close(&S.stdin_src);
          bytebuf_free(&S.stdin_buf);
          set_clients_paused(false);
        } else {
          stdin_flush();
        }
        break;
      case SRC_CLIENT: {
        struct client *c = (struct client *) s;
        if (c->dead)
          break;
        if (ev & EPOLLOUT)
          client_flush(c);
        if (!c->dead && (ev & EPOLLIN))
          client_read(c);
        else if (!c->dead && (ev & (EPOLLHUP | EPOLLERR)))
          client_drop(c);
        break;
      }
      }
    }
    while (S.graveyard) {
      struct client *c = S.graveyard;
      S.graveyard = c->next;
      free(c);
    }
  }
}
