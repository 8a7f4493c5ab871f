/* exec: run another process in a running container (join its namespaces and cgroup). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dyrt.h"
#include "sync.h"

struct exec_ctx {
  json_t *process;
  json_t *config;
  int ns_fds[8];
  int ns_types[8];
  int n_ns;
  bool has_user;
  int sync;
  int console;
};

static DY_NORETURN void exec_process(struct exec_ctx *c)
{
  if (setsid() < 0)
    dy_die_errno("setsid");
  if (c->console >= 0)
    terminal_setup(c->console, c->process);
  process_set_rlimits(c->process);
  process_set_oom_score(c->process);
  process_finalize(c->process, c->config);
  sync_send(c->sync, SYNC_READY);
  close(c->sync);
  dy_error_fd = -1;
  process_exec(c->process);
}

static void exec_process_entry(void *c)
{
  exec_process(c);
}

static DY_NORETURN void exec_stage1(struct exec_ctx *c)
{
  dy_error_fd = c->sync;
  sync_wait_ack(c->sync);
  for (int i = 0; i < c->n_ns; i++) {
    if (setns(c->ns_fds[i], c->ns_types[i]) < 0)
      dy_die_errno("setns %s", ns_proc_name(c->ns_types[i]));
    close(c->ns_fds[i]);
    if (c->ns_types[i] == CLONE_NEWUSER && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
      dy_die_errno("become root in the user namespace");
  }
  sync_clone_sibling(c->sync, exec_process_entry, c);
}

static void exec_stage1_entry(void *c)
{
  exec_stage1(c);
}

static pid_t forward_to;
static volatile sig_atomic_t winch_pending;
static bool proxying_tty;

static void forward_signal(int sig)
{
  if (sig == SIGWINCH && proxying_tty) {
    winch_pending = 1;
    return;
  }
  if (forward_to > 0)
    kill(forward_to, sig);
}

static json_t *load_json_file(const char *path)
{
  json_error_t err;
  json_t *j = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &err) : json_load_file(path, 0, &err);
  if (!j)
    dy_die("cannot load %s: %s", path, err.text);
  return j;
}

int cmd_exec(int argc, char **argv)
{
  static const struct option longopts[] = {
    { "process", required_argument, 0, 'p' },  { "tty", no_argument, 0, 't' },
    { "console-socket", required_argument, 0, 'c' }, { "pid-file", required_argument, 0, 'P' },
    { "detach", no_argument, 0, 'd' },        { "cwd", required_argument, 0, 'w' },
    { "env", required_argument, 0, 'e' },     { "user", required_argument, 0, 'u' },
    { "no-new-privs", no_argument, 0, 'n' },  { "cap", required_argument, 0, 'C' },
    { "preserve-fds", required_argument, 0, 'F' }, { "process-label", required_argument, 0, 'l' },
    { "apparmor", required_argument, 0, 'a' }, { "additional-gids", required_argument, 0, 'g' },
    { 0, 0, 0, 0 },
  };
  const char *process_file = NULL, *console_socket = NULL, *pid_file = NULL, *cwd = NULL, *user = NULL;
  bool tty = false, detach = false, nnp = false;
  json_t *extra_env = json_array(), *extra_caps = json_array(), *extra_gids = json_array();
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "+p:tdw:e:u:g:", longopts, NULL)) != -1) {
    switch (opt) {
    case 'p':
      process_file = optarg;
      break;
    case 't':
      tty = true;
      break;
    case 'c':
      console_socket = optarg;
      break;
    case 'P':
      pid_file = optarg;
      break;
    case 'd':
      detach = true;
      break;
    case 'w':
      cwd = optarg;
      break;
    case 'e':
      json_array_append_new(extra_env, json_string(optarg));
      break;
    case 'u':
      user = optarg;
      break;
    case 'n':
      nnp = true;
      break;
    case 'C':
      json_array_append_new(extra_caps, json_string(optarg));
      break;
    case 'g':
      json_array_append_new(extra_gids, json_integer(atoi(optarg)));
      break;
    case 'F':
      dyrt_g.preserve_fds = atoi(optarg);
      break;
    case 'l':
    case 'a':
      break;
    default:
      dy_die("usage: exec [options] ID [COMMAND ARGS...]");
    }
  }
  if (optind >= argc)
    dy_die("exec: container id required");
  const char *id = argv[optind++];
  struct cstate st;
  state_validate_id(id);
  if (state_load(id, &st) < 0)
    dy_die("container %s does not exist", id);
  enum cstatus s = state_status(&st);
  if (s != ST_RUNNING && s != ST_CREATED)
    dy_die("cannot exec in a %s container", status_name(s));

  json_t *process;
  if (process_file) {
    process = load_json_file(process_file);
  } else {
    process = json_deep_copy(json_object_get(st.config, "process"));
    if (!process)
      process = json_object();
    if (optind >= argc)
      dy_die("exec: command required");
    json_t *args = json_array();
    for (int i = optind; i < argc; i++)
      json_array_append_new(args, json_string(argv[i]));
    json_object_set_new(process, "args", args);
    json_object_set_new(process, "terminal", json_boolean(tty));
    json_object_del(process, "consoleSize");
  }
  if (tty)
    json_object_set_new(process, "terminal", json_true());
  json_t *env = json_object_get(process, "env");
  if (!json_is_array(env)) {
    env = json_array();
    json_object_set_new(process, "env", env);
  }
  json_array_extend(env, extra_env);
  if (cwd)
    json_object_set_new(process, "cwd", json_string(cwd));
  if (nnp)
    json_object_set_new(process, "noNewPrivileges", json_true());
  if (user) {
    unsigned uid = 0, gid = 0;
    int n = sscanf(user, "%u:%u", &uid, &gid);
    if (n < 1)
      dy_die("invalid --user %s (want UID[:GID])", user);
    json_object_set_new(process, "user", json_pack("{s:i, s:i}", "uid", (int) uid, "gid", n == 2 ? (int) gid : 0));
  }
  if (json_array_size(extra_gids)) {
    json_t *u = json_object_get(process, "user");
    json_object_set(u, "additionalGids", extra_gids);
  }
  if (json_array_size(extra_caps)) {
    json_t *caps = json_object_get(process, "capabilities");
    static const char *const sets[] = { "bounding", "effective", "permitted", "ambient" };
    for (size_t i = 0; caps && i < sizeof sets / sizeof sets[0]; i++)
      if (json_is_array(json_object_get(caps, sets[i])))
        json_array_extend(json_object_get(caps, sets[i]), extra_caps);
  }
  bool terminal = spec_bool(process, "terminal", false);

  struct exec_ctx c = { .process = process, .config = st.config, .console = -1 };
  /* Join every namespace type the container has, user first, mount last. */
  static const int order[] = { CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
                               CLONE_NEWPID,  CLONE_NEWCGROUP, CLONE_NEWNS };
  json_t *nslist = spec_path(st.config, "linux.namespaces");
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    size_t i;
    json_t *ns;
    json_array_foreach(nslist, i, ns)
    {
      if (ns_flag_from_name(spec_str(ns, "type", "")) != order[k])
        continue;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) st.pid, ns_proc_name(order[k]));
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        dy_die_errno("open %s", path);
      c.ns_fds[c.n_ns] = fd;
      c.ns_types[c.n_ns++] = order[k];
      break;
    }
  }
  int proxy_sock = -1;
  if (terminal && console_socket) {
    c.console = console_connect(console_socket);
  } else if (terminal && !detach) {
    /* Foreground exec with a terminal: the PTY master comes back to us. */
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
      dy_die_errno("socketpair");
    proxy_sock = pair[0];
    c.console = pair[1];
  } else if (terminal) {
    dy_die("cannot allocate tty if dyrt will detach without setting console socket");
  }
  int sync_fd;
  pid_t s1 = sync_fork(&c.sync, &sync_fd, exec_stage1_entry, &c);
  if (c.console >= 0)
    close(c.console);
  for (int i = 0; i < c.n_ns; i++)
    close(c.ns_fds[i]);
  if (st.cgroup[0])
    cgroup_get()->enter_exec(st.cgroup, s1, st.pid);
  sync_send(sync_fd, SYNC_ACK);
  pid_t pid = 0;
  char err[2048];
  int synced = sync_collect(sync_fd, &pid, NULL, err, sizeof err);
  if (synced != SYNC_OK) {
    waitpid(s1, NULL, 0);
    if (pid > 0) {
      if (synced == SYNC_ERROR)
        kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
    }
    if (synced == SYNC_GONE)
      dy_die("exec process exited before it was ready");
    dy_die("%s", err);
  }
  close(sync_fd);
  waitpid(s1, NULL, 0);
  if (pid_file) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int) pid);
    if (dy_write_file_atomic(pid_file, buf, (size_t) n, 0644) < 0)
      dy_die_errno("write pid file %s", pid_file);
  }
  if (detach)
    return 0;
  int master = -1;
  if (proxy_sock >= 0 && dy_recv_fd(proxy_sock, &master, NULL, 0) < 0)
    dy_die_errno("receive the exec's pty");
  forward_to = pid;
  proxying_tty = master >= 0;
  struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
  static const int fwd[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++)
    sigaction(fwd[i], &sa, NULL);
  if (master >= 0) {
    terminal_proxy(master, &winch_pending);
    close(master);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
