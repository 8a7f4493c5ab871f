/*
 * box-init: PID 1 of a lab box. It runs nothing a student can kill and exits on no signal: it only reaps orphans,
 * so `pkill sleep`, `kill -9 -1` or killing its children never ends the box (the kernel drops signals to a PID 1
 * that has no handler for them, SIGKILL included when sent from inside). It also
 *  - on cgroup v2, moves itself into the leaf `init` and enables the available controllers for the box's subtree,
 *    so the nested engine can create child cgroups ("no internal processes" rule);
 *  - with --on-demand PROG, starts PROG on SIGUSR1 unless it is already running (the nested Docker daemon, asked
 *    for by the in-box `docker` the first time it is needed, and again after a student killed it).
 *
 * Usage: box-init [--cgroup-root DIR] [--on-demand PROG]
 *        box-init --cgroup-only [--assume-cgroup2] [--cgroup-root DIR]   (just the cgroup step, for tests)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static volatile sig_atomic_t start_requested;

static void on_signal(int sig)
{
  if (sig == SIGUSR1)
    start_requested = 1;
}

static int write_file(const char *path, const char *text)
{
  /* O_APPEND changes nothing on cgroupfs; in a plain directory (tests) it keeps every write. */
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t) strlen(text) ? 0 : -1;
}

/* 1 = the box sees cgroup v2 at root (unified host), 0 = v1 or hybrid (nothing to do), -1 = cannot tell. */
static int is_cgroup2(const char *root)
{
  struct statfs st;
  if (statfs(root, &st) != 0)
    return -1;
  return st.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * The box's cgroup is the root of its cgroup namespace. A v2 cgroup with processes cannot enable controllers for
 * children, so the init leaves it for the leaf `init` first; then every controller the box was given is enabled
 * for its subtree. Returns the number of controllers that could not be enabled, or -1 if the move failed.
 */
static int cgroup2_setup(const char *root)
{
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/init", root);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "box-init: mkdir %s: %s\n", path, strerror(errno));
    return -1;
  }
  snprintf(path, sizeof path, "%s/init/cgroup.procs", root);
  if (write_file(path, "0") != 0) {
    fprintf(stderr, "box-init: joining %s: %s\n", path, strerror(errno));
    return -1;
  }
  snprintf(path, sizeof path, "%s/cgroup.controllers", root);
  FILE *f = fopen(path, "re");
  if (!f) {
    fprintf(stderr, "box-init: %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[4096] = "";
  if (!fgets(line, sizeof line, f))
    line[0] = '\0';
  fclose(f);
  snprintf(path, sizeof path, "%s/cgroup.subtree_control", root);
  int failed = 0;
  char *save = NULL;
  for (char *name = strtok_r(line, " \n", &save); name; name = strtok_r(NULL, " \n", &save)) {
    char change[128];
    snprintf(change, sizeof change, "+%s", name);
    /* One at a time: a controller the box may not enable must not keep the others off. */
    if (write_file(path, change) != 0) {
      fprintf(stderr, "box-init: enabling %s: %s\n", name, strerror(errno));
      failed++;
    }
  }
  return failed;
}

static pid_t start(char *prog)
{
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    setsid();
    char *argv[] = { prog, NULL };
    execv(prog, argv);
    fprintf(stderr, "box-init: %s: %s\n", prog, strerror(errno));
    _exit(127);
  }
  if (pid < 0)
    fprintf(stderr, "box-init: fork: %s\n", strerror(errno));
  return pid;
}

int main(int argc, char **argv)
{
  const char *cgroup_root = "/sys/fs/cgroup";
  char *on_demand = NULL;
  int cgroup_only = 0, assume_cgroup2 = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--cgroup-root") == 0 && i + 1 < argc)
      cgroup_root = argv[++i];
    else if (strcmp(argv[i], "--on-demand") == 0 && i + 1 < argc)
      on_demand = argv[++i];
    else if (strcmp(argv[i], "--cgroup-only") == 0)
      cgroup_only = 1;
    else if (strcmp(argv[i], "--assume-cgroup2") == 0)
      assume_cgroup2 = 1;
    else {
      fprintf(stderr, "box-init: unknown argument %s\n", argv[i]);
      return 2;
    }
  }

  int v2 = assume_cgroup2 ? 1 : is_cgroup2(cgroup_root);
  int cgroup_rc = 0;
  if (v2 == 1) {
    cgroup_rc = cgroup2_setup(cgroup_root);
    if (cgroup_rc == 0)
      fprintf(stderr, "box-init: cgroup v2: in %s/init, controllers delegated\n", cgroup_root);
  }
  if (cgroup_only) {
    /* What happened, and where this process ended up (its v2 membership line, "0::/path"). */
    char membership[PATH_MAX] = "";
    FILE *f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(membership, sizeof membership, f))
      if (strncmp(membership, "0::", 3) == 0)
        break;
    if (f)
      fclose(f);
    printf("%s %d %s", v2 == 1 ? "cgroup2" : "cgroup1", cgroup_rc, membership);
    return cgroup_rc == 0 ? 0 : 1;
  }

  /* Not PID 1 (e.g. run by hand): still adopt orphans of our children. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 0);
    close(devnull);
  }

  /* Handlers only for what we act on; every other signal stays default, which the kernel drops for PID 1. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  if (on_demand)
    sigaction(SIGUSR1, &sa, NULL);
  sigset_t blocked, waiting;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigaddset(&blocked, SIGUSR1);
  sigprocmask(SIG_BLOCK, &blocked, &waiting);

  pid_t daemon_pid = 0;
  for (;;) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == daemon_pid) {
        fprintf(stderr, "box-init: %s ended (status %d); it starts again when asked\n", on_demand, status);
        daemon_pid = 0;
      }
    }
    if (start_requested) {
      start_requested = 0;
      if (on_demand && daemon_pid == 0)
        daemon_pid = start(on_demand);
      if (daemon_pid < 0)
        daemon_pid = 0;
      continue;
    }
    sigsuspend(&waiting);
  }
}
