/* Creating the container process with the OCI runtime (`create`, or
 * `exec --detach` for an extra process) and taking over its stdio:
 * pipes, or the PTY master received over the console socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "dyshim.h"

#define MAX_ARGS 24

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static int set_nonblock(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void path_in_state(const struct shim_options *o, const char *name, char *out, size_t outlen)
{
  snprintf(out, outlen, "%s/%s", o->state_dir, name);
}

static int runtime_args(const struct shim_options *o, const char **argv, const char *verb)
{
  int n = 0;
  argv[n++] = o->runtime;
  if (o->runtime_root) {
    argv[n++] = "--root";
    argv[n++] = o->runtime_root;
  }
  argv[n++] = verb;
  return n;
}

/* Runs the runtime with the given stdio and waits for it. Returns the wait
 * status, or -1 if it could not be started. */
static int run_runtime(const char **argv, int in, int out, int err)
{
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    reset_child_signals();
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
      _exit(127);
    execvp(argv[0], (char *const *) argv);
    dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return st;
}

/* The runtime's error text, e.g. runc's logrus line `... msg="..."` or
 * `dyrt: ...`, made into one line. */
static void read_runtime_error(int fd, const char *verb, int status, char *err, size_t errlen)
{
  char raw[8192];
  size_t got = 0;
  if (fd >= 0) {
    set_nonblock(fd);
    ssize_t r;
    while (got < sizeof raw - 1 && (r = read(fd, raw + got, sizeof raw - 1 - got)) > 0)
      got += (size_t) r;
  }
  raw[got] = '\0';

  size_t o = 0;
  err[0] = '\0';
  char *save = NULL;
  for (char *line = strtok_r(raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *msg = strstr(line, " msg=\"");
    char text[4096];
    if (msg) {
      /* logrus text format: unescape the quoted msg value. */
      size_t t = 0;
      for (char *c = msg + 6; *c && *c != '"' && t < sizeof text - 1; c++) {
        if (*c == '\\' && c[1])
          c++;
        text[t++] = *c;
      }
      text[t] = '\0';
    } else {
      snprintf(text, sizeof text, "%s", line);
    }
    size_t tl = strlen(text);
    while (tl > 0 && (text[tl - 1] == ' ' || text[tl - 1] == '\r' || text[tl - 1] == '\t'))
      text[--tl] = '\0';
    if (tl == 0)
      continue;
    int w = snprintf(err + o, errlen - o, "%s%s", o ? "; " : "", text);
    if (w < 0 || (size_t) w >= errlen - o)
      break;
    o += (size_t) w;
  }
  if (o == 0) {
    if (WIFSIGNALED(status))
      snprintf(err, errlen, "runtime %s was killed by signal %d", verb, WTERMSIG(status));
    else
      snprintf(err, errlen, "runtime %s failed with exit status %d", verb, WEXITSTATUS(status));
  }
}

static int listen_unix(const char *path)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  unlink(path);
  mode_t old = umask(0177);
  int rc = bind(fd, (struct sockaddr *) &addr, sizeof addr);
  umask(old);
  if (rc < 0 || listen(fd, 16) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* The runtime connected to the console socket and sent the PTY master
 * before it exited, so the connection is waiting in the backlog. */
static int receive_master(int listen_fd)
{
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return -1;
  char name[256];
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof control};
  ssize_t r = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  close(conn);
  if (r < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
  }
  errno = ENOMSG;
  return -1;
}

static pid_t read_pid_file(const char *path)
{
  char buf[32];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0)
    return -1;
  buf[r] = '\0';
  char *end;
  long v = strtol(buf, &end, 10);
  return v > 0 && (*end == '\0' || *end == '\n') ? (pid_t) v : -1;
}

void runtime_abort(const struct shim_options *o, pid_t pid)
{
  if (o->exec) {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
    }
    return;
  }
  const char *argv[MAX_ARGS];
  int n = runtime_args(o, argv, "delete");
  argv[n++] = "--force";
  argv[n++] = o->id;
  argv[n] = NULL;
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  run_runtime(argv, devnull, devnull, devnull);
  close(devnull);
}

int runtime_start(const struct shim_options *o, struct runtime_result *r, char *err, size_t errlen)
{
  char pid_path[4096], console_path[4096], console_dir[64] = "";
  path_in_state(o, "pid", pid_path, sizeof pid_path);
  path_in_state(o, "console.sock", console_path, sizeof console_path);
  unlink(pid_path);
  if (o->tty && strlen(console_path) >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
    /* Too long for a socket address: use a private directory in /tmp. */
    strcpy(console_dir, "/tmp/dyshim-XXXXXX");
    if (!mkdtemp(console_dir)) {
      snprintf(err, errlen, "cannot create a directory for the console socket: %s", strerror(errno));
      return -1;
    }
    snprintf(console_path, sizeof console_path, "%s/console.sock", console_dir);
  }

  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  int console_fd = -1;
  int rc = -1;
  const char *verb = o->exec ? "exec" : "create";
  *r = (struct runtime_result) {.pid = -1, .stdin_fd = -1, .out_fds = {-1, -1}, .master_fd = -1};

  if (devnull < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
    snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
    goto out;
  }
  if (o->tty) {
    console_fd = listen_unix(console_path);
    if (console_fd < 0) {
      snprintf(err, errlen, "cannot listen on %s: %s", console_path, strerror(errno));
      goto out;
    }
  } else if (pipe2(out_pipe, O_CLOEXEC) < 0 || (o->open_stdin && pipe2(in_pipe, O_CLOEXEC) < 0)) {
    snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
    goto out;
  }

  const char *argv[MAX_ARGS];
  int n = runtime_args(o, argv, verb);
  if (o->exec) {
    argv[n++] = "--process";
    argv[n++] = o->process_file;
    argv[n++] = "--detach";
  } else {
    argv[n++] = "--bundle";
    argv[n++] = o->bundle;
  }
  argv[n++] = "--pid-file";
  argv[n++] = pid_path;
  if (o->tty) {
    if (o->exec)
      argv[n++] = "--tty";
    argv[n++] = "--console-socket";
    argv[n++] = console_path;
  }
  argv[n++] = o->id;
  argv[n] = NULL;

  /* Without a TTY the runtime's stdio becomes the container's; its error
   * text (on failure) arrives on what would be the container's stderr. */
  int child_in = o->tty || !o->open_stdin ? devnull : in_pipe[0];
  int child_out = o->tty ? devnull : out_pipe[1];
  int status = run_runtime(argv, child_in, child_out, err_pipe[1]);
  close_fd(&in_pipe[0]);
  close_fd(&out_pipe[1]);
  close_fd(&err_pipe[1]);
  if (status < 0) {
    snprintf(err, errlen, "cannot run %s: %s", o->runtime, strerror(errno));
    goto out;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    read_runtime_error(err_pipe[0], verb, status, err, errlen);
    goto out;
  }

  r->pid = read_pid_file(pid_path);
  if (r->pid <= 0) {
    snprintf(err, errlen, "%s %s succeeded but wrote no pid file", o->runtime, verb);
    runtime_abort(o, -1);
    goto out;
  }

  if (o->tty) {
    r->master_fd = receive_master(console_fd);
    if (r->master_fd < 0) {
      snprintf(err, errlen, "the runtime sent no PTY master on the console socket (is process.terminal true?)");
      runtime_abort(o, r->pid);
      goto out;
    }
    set_nonblock(r->master_fd);
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    ioctl(r->master_fd, TIOCSWINSZ, &ws);
    if (o->open_stdin)
      r->stdin_fd = fcntl(r->master_fd, F_DUPFD_CLOEXEC, 3);
    r->out_fds[0] = r->master_fd;
  } else {
    r->out_fds[0] = out_pipe[0];
    r->out_fds[1] = err_pipe[0];
    out_pipe[0] = err_pipe[0] = -1;
    set_nonblock(r->out_fds[0]);
    set_nonblock(r->out_fds[1]);
    if (o->open_stdin) {
      r->stdin_fd = in_pipe[1];
      in_pipe[1] = -1;
      set_nonblock(r->stdin_fd);
    }
  }
  rc = 0;

out:
  close_fd(&devnull);
  close_fd(&in_pipe[0]);
  close_fd(&in_pipe[1]);
  close_fd(&out_pipe[0]);
  close_fd(&out_pipe[1]);
  close_fd(&err_pipe[0]);
  close_fd(&err_pipe[1]);
  if (console_fd >= 0) {
    close(console_fd);
    unlink(console_path);
  }
  if (console_dir[0])
    rmdir(console_dir);
  if (rc < 0)
    unlink(pid_path);
  return rc;
}
