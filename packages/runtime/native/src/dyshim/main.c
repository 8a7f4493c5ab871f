/* dyshim: start one container process through an OCI runtime and stay with
 * it, detached from the caller, owning its stdio (see README.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dyshim.h"

static void usage(void)
{
  fputs("usage: dyshim --id ID --bundle DIR --state-dir DIR --runtime PATH [--runtime-root DIR] [--tty]\n"
        "              [--stdin] [--log-path FILE] [--log-max-size BYTES] [--log-max-files N]\n"
        "              [--exec --process FILE --exec-id EID]\n"
        "              [--exit-command PATH [--exit-command-arg ARG]...] [--exit-notify SOCKET]\n",
        stderr);
}

static SHIM_NORETURN SHIM_PRINTF(1, 2) void die(const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "dyshim: %s\n", msg);
  exit(1);
}

static long long parse_number(const char *flag, const char *s)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0)
    die("%s needs a non-negative number, got \"%s\"", flag, s);
  return v;
}

/* The shim changes into the state dir, so every path it hands on must be
 * absolute. Paths that need not exist yet are joined to the cwd. */
static char *absolute(const char *flag, const char *path, bool must_exist)
{
  char *r = realpath(path, NULL);
  if (r)
    return r;
  if (must_exist)
    die("%s %s: %s", flag, path, strerror(errno));
  if (path[0] == '/')
    return strdup(path);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd))
    die("getcwd: %s", strerror(errno));
  char *out;
  if (asprintf(&out, "%s/%s", cwd, path) < 0)
    die("out of memory");
  return out;
}

static void parse_args(int argc, char **argv, struct shim_options *o)
{
  enum { O_ID = 256, O_BUNDLE, O_STATE, O_RUNTIME, O_RUNTIME_ROOT, O_TTY, O_STDIN, O_LOG, O_LOG_SIZE,
         O_LOG_FILES, O_EXEC, O_PROCESS, O_EXEC_ID, O_EXIT_CMD, O_EXIT_ARG, O_EXIT_NOTIFY, O_HELP };
  static const struct option opts[] = {
    {"id", required_argument, NULL, O_ID},
    {"bundle", required_argument, NULL, O_BUNDLE},
    {"state-dir", required_argument, NULL, O_STATE},
    {"runtime", required_argument, NULL, O_RUNTIME},
    {"runtime-root", required_argument, NULL, O_RUNTIME_ROOT},
    {"tty", no_argument, NULL, O_TTY},
    {"stdin", no_argument, NULL, O_STDIN},
    {"log-path", required_argument, NULL, O_LOG},
    {"log-max-size", required_argument, NULL, O_LOG_SIZE},
    {"log-max-files", required_argument, NULL, O_LOG_FILES},
    {"exec", no_argument, NULL, O_EXEC},
    {"process", required_argument, NULL, O_PROCESS},
    {"exec-id", required_argument, NULL, O_EXEC_ID},
    {"exit-command", required_argument, NULL, O_EXIT_CMD},
    {"exit-command-arg", required_argument, NULL, O_EXIT_ARG},
    {"exit-notify", required_argument, NULL, O_EXIT_NOTIFY},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
  };
  *o = (struct shim_options) {.log_max_size = 10LL * 1024 * 1024, .log_max_files = 3};
  o->exit_command_args = calloc((size_t) argc, sizeof(char *));
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case O_ID: o->id = optarg; break;
    case O_BUNDLE: o->bundle = optarg; break;
    case O_STATE: o->state_dir = optarg; break;
    case O_RUNTIME: o->runtime = optarg; break;
    case O_RUNTIME_ROOT: o->runtime_root = optarg; break;
    case O_TTY: o->tty = true; break;
    case O_STDIN: o->open_stdin = true; break;
    case O_LOG: o->log_path = optarg; break;
    case O_LOG_SIZE: o->log_max_size = parse_number("--log-max-size", optarg); break;
    case O_LOG_FILES: o->log_max_files = (int) parse_number("--log-max-files", optarg); break;
    case O_EXEC: o->exec = true; break;
    case O_PROCESS: o->process_file = optarg; break;
    case O_EXEC_ID: o->exec_id = optarg; break;
    case O_EXIT_CMD: o->exit_command = optarg; break;
    case O_EXIT_ARG: o->exit_command_args[o->exit_command_nargs++] = optarg; break;
    case O_EXIT_NOTIFY: o->exit_notify = optarg; break;
    case O_HELP: usage(); exit(0);
    default: usage(); exit(2);
    }
  }
  if (optind < argc)
    die("unexpected argument \"%s\"", argv[optind]);
  if (!o->id || !o->state_dir || !o->runtime)
    die("--id, --state-dir and --runtime are required");
  if (o->exec && !o->process_file)
    die("--exec needs --process FILE");
  if (!o->exec && !o->bundle)
    die("--bundle is required");
  if (o->log_max_files > 1000)
    die("--log-max-files is at most 1000");

  if (o->bundle)
    o->bundle = absolute("--bundle", o->bundle, true);
  if (o->process_file)
    o->process_file = absolute("--process", o->process_file, true);
  /* An absolute path is kept as given: it may be a /proc/<pid>/fd/<n> link (a sealed copy of the runtime), which
   * realpath would turn into a name that cannot be executed. */
  if (o->runtime[0] == '/') {
    if (access(o->runtime, X_OK) < 0)
      die("--runtime %s: %s", o->runtime, strerror(errno));
  } else if (strchr(o->runtime, '/')) {
    o->runtime = absolute("--runtime", o->runtime, true);
  }
  if (o->runtime_root)
    o->runtime_root = absolute("--runtime-root", o->runtime_root, false);
  if (o->log_path)
    o->log_path = absolute("--log-path", o->log_path, false);
  if (o->exit_command)
    o->exit_command = absolute("--exit-command", o->exit_command, true);
  if (o->exit_notify && strlen(o->exit_notify) >= sizeof(((struct sockaddr_un *) 0)->sun_path))
    die("--exit-notify path is too long for a unix socket");
}

/* Foreground side: wait for the shim's verdict and print it. */
static SHIM_NORETURN void wait_for_report(int fd)
{
  char buf[8192];
  size_t got = 0;
  ssize_t r;
  while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) != 0) {
    if (r < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    got += (size_t) r;
  }
  buf[got] = '\0';
  long pid, shim_pid;
  if (sscanf(buf, "OK %ld %ld", &pid, &shim_pid) == 2) {
    printf("{\"pid\":%ld,\"shimPid\":%ld}\n", pid, shim_pid);
    exit(fflush(stdout) == 0 ? 0 : 1);
  }
  if (strncmp(buf, "ERR ", 4) == 0)
    die("%s", buf + 4);
  die("the shim exited before the container was created");
}

static void report(int fd, const char *fmt, ...) SHIM_PRINTF(2, 3);
static void report(int fd, const char *fmt, ...)
{
  char msg[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n > (int) sizeof msg - 1)
    n = (int) sizeof msg - 1;
  write_all(fd, msg, (size_t) n);
  close(fd);
}

static int listen_attach(void)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, "attach.sock"); /* relative: the cwd is the state dir */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  unlink(addr.sun_path);
  mode_t old = umask(0177);
  int rc = bind(fd, (struct sockaddr *) &addr, sizeof addr);
  umask(old);
  if (rc < 0 || listen(fd, 64) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int main(int argc, char **argv)
{
  /* Whatever the caller leaked to us (its pipes, sockets) must not be held
   * open for the container's lifetime. */
  close_range(3, ~0U, 0);

  struct shim_options o;
  parse_args(argc, argv, &o);

  bool created_state_dir = mkdir(o.state_dir, 0700) == 0;
  if (!created_state_dir && errno != EEXIST)
    die("cannot create state dir %s: %s", o.state_dir, strerror(errno));
  o.state_dir = absolute("--state-dir", o.state_dir, true);

  int sync_pipe[2];
  if (pipe2(sync_pipe, O_CLOEXEC) < 0)
    die("pipe: %s", strerror(errno));
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid > 0) {
    close(sync_pipe[1]);
    wait_for_report(sync_pipe[0]);
  }

  /* The shim proper: its own session, stdio away from the caller, and the
   * parent of every orphan below it (the container process included). */
  close(sync_pipe[0]);
  int report_fd = sync_pipe[1];
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (chdir(o.state_dir) < 0) {
    report(report_fd, "ERR cannot enter %s: %s", o.state_dir, strerror(errno));
    _exit(1);
  }
  /* A restarted container reuses its state dir: the last run's exit record
   * must not describe this one. */
  unlink("exit");
  unlink("exit.tmp");
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    if (devnull > 2)
      close(devnull);
  }
  /* Fixed mmap threshold: big client buffers go back to the kernel when
   * freed instead of staying in the heap. */
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  char text[64];
  int tl = snprintf(text, sizeof text, "%d\n", getpid());
  if (signal_fd < 0 || write_file_atomic("shim.pid", text, (size_t) tl, 0644) < 0) {
    report(report_fd, "ERR cannot set up the shim in %s: %s", o.state_dir, strerror(errno));
    _exit(1);
  }

  /* Opened before the container exists, so a bad log path fails the start. */
  if (o.log_path && log_open(o.log_path, o.log_max_size, o.log_max_files) < 0) {
    report(report_fd, "ERR cannot open log %s: %s", o.log_path, strerror(errno));
    unlink("shim.pid");
    if (created_state_dir)
      rmdir(o.state_dir);
    _exit(1);
  }

  struct runtime_result r;
  char err[4096];
  if (runtime_start(&o, &r, err, sizeof err) < 0) {
    log_abandon();
    unlink("shim.pid");
    if (created_state_dir)
      rmdir(o.state_dir);
    report(report_fd, "ERR %s", err);
    _exit(1);
  }

  int listen_fd = listen_attach();
  if (listen_fd < 0) {
    int e = errno;
    runtime_abort(&o, r.pid);
    log_abandon();
    unlink("shim.pid");
    report(report_fd, "ERR cannot listen on %s/attach.sock: %s", o.state_dir, strerror(e));
    _exit(1);
  }
  report(report_fd, "OK %d %d", r.pid, getpid());
  shim_serve(&o, &r, listen_fd, signal_fd);
}
