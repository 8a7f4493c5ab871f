/* The container life cycle: create (namespaces, cgroup, rootfs, init waiting on
 * exec.fifo), start, state, kill, delete, run, pause/resume, update, ps, list. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dyrt.h"
#include "sync.h"

/* ---------- the container's init ---------- */

struct init_args {
  json_t *config;
  struct ns_spec ns;
  int sync;
  int fifo_fd;
  int console;
  const char *rootfs;
  const char *cgroup_rel;
  bool no_pivot;
  bool has_create_hooks;
  const char *id;
  const char *bundle;
};

/* Hooks run by the init itself (createContainer, startContainer) get a minimal state. */
static void run_container_hooks(struct init_args *a, const char *which, const char *status)
{
  json_t *hooks = json_object_get(a->config, "hooks");
  if (!json_array_size(json_object_get(hooks, which)))
    return;
  json_t *st = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", DYRT_OCI_VERSION, "id", a->id, "status", status,
                         "pid", (int) getpid(), "bundle", a->bundle);
  char *text = json_dumps(st, JSON_COMPACT);
  if (hooks_run(hooks, which, text, true) < 0)
    dy_die("%s hook failed", which);
  free(text);
  json_decref(st);
}

static int ask_parent_for_hooks(void *arg)
{
  struct init_args *a = arg;
  if (a->has_create_hooks) {
    sync_send(a->sync, SYNC_HOOKS);
    sync_wait_ack(a->sync);
  }
  run_container_hooks(a, "createContainer", "creating");
  return 0;
}

static DY_NORETURN void container_init(struct init_args *a)
{
  json_t *process = json_object_get(a->config, "process");
  if (setsid() < 0)
    dy_die_errno("setsid");
  if (a->ns.has_mount) {
    struct rootfs_ctx rc = {
      .config = a->config,
      .rootfs = a->rootfs,
      .cgroup_rel = a->cgroup_rel,
      .in_userns = a->ns.has_user,
      .new_cgroupns = a->ns.flags_new & CLONE_NEWCGROUP,
      .no_pivot = a->no_pivot,
      .before_pivot = ask_parent_for_hooks,
      .before_pivot_arg = a,
    };
    rootfs_setup(&rc);
  } else {
    ask_parent_for_hooks(a);
    if (chroot(a->rootfs) < 0 || chdir("/") < 0)
      dy_die_errno("chroot %s", a->rootfs);
  }
  const char *hostname = spec_str(a->config, "hostname", NULL);
  if (hostname && a->ns.has_uts && sethostname(hostname, strlen(hostname)) < 0)
    dy_die_errno("sethostname");
  const char *domain = spec_str(a->config, "domainname", NULL);
  if (domain && a->ns.has_uts && setdomainname(domain, strlen(domain)) < 0)
    dy_die_errno("setdomainname");
  sysctl_apply(a->config);
  if (a->console >= 0)
    terminal_setup(a->console, process);
  if (a->ns.has_mount)
    rootfs_finalize(a->config);
  process_set_rlimits(process);
  process_set_oom_score(process);
  process_finalize(process, a->config);

  sync_send(a->sync, SYNC_READY);
  close(a->sync);
  dy_error_fd = -1;
  /* Block until `start` opens the fifo for reading. */
  char fifo_path[64];
  snprintf(fifo_path, sizeof fifo_path, "/proc/self/fd/%d", a->fifo_fd);
  int w = open(fifo_path, O_WRONLY | O_CLOEXEC);
  if (w < 0)
    dy_die_errno("open exec fifo");
  if (dy_write_all(w, "0", 1) < 0)
    dy_die_errno("write exec fifo");
  close(w);
  close(a->fifo_fd);
  run_container_hooks(a, "startContainer", "running");
  process_exec(process);
}

static void container_init_entry(void *a)
{
  container_init(a);
}

static DY_NORETURN void stage1(struct init_args *a)
{
  dy_error_fd = a->sync;
  /* Namespaces are set up while the parent moves this process into the cgroup
   * (a slow write on v1): only the cgroup namespace and the init's fork wait for it. */
  ns_join(&a->ns, true);
  if (a->ns.new_user) {
    if (unshare(CLONE_NEWUSER) < 0)
      dy_die_errno("unshare user namespace");
    sync_send(a->sync, SYNC_MAPS);
    sync_wait_ack(a->sync);
  }
  if (a->ns.has_user) {
    /* Become root of the new user namespace (caps are kept: see capabilities(7)). */
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      dy_die_errno("become root in the user namespace");
  }
  ns_join(&a->ns, false);
  if (unshare(a->ns.flags_new & ~(CLONE_NEWUSER | CLONE_NEWCGROUP)) < 0)
    dy_die_errno("unshare namespaces");
  sync_wait_ack(a->sync); /* placed in the cgroup */
  if ((a->ns.flags_new & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
    dy_die_errno("unshare cgroup namespace");
  /* The init is the runtime's child (CLONE_PARENT) and, with a new pid ns, its pid 1. */
  sync_clone_sibling(a->sync, container_init_entry, a);
}

static void stage1_entry(void *a)
{
  stage1(a);
}

/* ---------- create ---------- */

static struct {
  bool armed;
  pid_t init_pid;
  char *state_dir;
  char *cgroup;
  bool cgroup_made;
} create_cleanup;

static void rm_state_dir(const char *dir)
{
  static const char *const files[] = { "exec.fifo", "state.json", "config.json" };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *p = dy_xasprintf("%s/%s", dir, files[i]);
    unlink(p);
    free(p);
  }
  rmdir(dir);
}

static void undo_create(void)
{
  if (!create_cleanup.armed)
    return;
  create_cleanup.armed = false;
  if (create_cleanup.init_pid > 0) {
    kill(create_cleanup.init_pid, SIGKILL);
    waitpid(create_cleanup.init_pid, NULL, 0);
  }
  if (create_cleanup.cgroup_made)
    cgroup_get()->destroy(create_cleanup.cgroup);
  if (create_cleanup.state_dir)
    rm_state_dir(create_cleanup.state_dir);
}

static char *now_rfc3339(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return dy_xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

static bool has_hooks(json_t *config, const char *a, const char *b)
{
  json_t *h = json_object_get(config, "hooks");
  return json_array_size(json_object_get(h, a)) > 0 || json_array_size(json_object_get(h, b)) > 0;
}

/* Our end of the console socket when a foreground `run` proxies the PTY itself. */
/* The runtime's side of create's sync: remember the init (so a failed create kills it) and run the hooks that
 * must run between the namespaces' creation and pivot_root. */
struct create_sync {
  struct cstate *st;
  json_t *config;
};

static void create_on_pid(pid_t pid, void *arg)
{
  struct create_sync *cs = arg;
  create_cleanup.init_pid = pid;
  cs->st->pid = pid;
}

static void create_on_hooks(void *arg)
{
  struct create_sync *cs = arg;
  char *sj = state_oci_json(cs->st, ST_CREATING);
  json_t *hooks = json_object_get(cs->config, "hooks");
  if (hooks_run(hooks, "prestart", sj, true) < 0 || hooks_run(hooks, "createRuntime", sj, true) < 0)
    dy_die("prestart/createRuntime hook failed");
  free(sj);
}

static int run_console_fd = -1;

/* Creates the container; returns the init pid (the caller's child). */
static pid_t do_create(struct create_opts *o, struct cstate *st)
{
  state_validate_id(o->id);
  char bundle[4096];
  if (!realpath(o->bundle ? o->bundle : ".", bundle))
    dy_die_errno("bundle %s", o->bundle ? o->bundle : ".");
  if (chdir(bundle) < 0)
    dy_die_errno("chdir %s", bundle);
  json_t *config = spec_load(bundle);
  json_t *process = json_object_get(config, "process");
  const char *root_path = spec_str(json_object_get(config, "root"), "path", "rootfs");
  char rootfs[4096];
  if (!realpath(root_path, rootfs))
    dy_die_errno("rootfs %s", root_path);

  if (dy_mkdir_p(dyrt_g.root, 0700) < 0)
    dy_die_errno("create state root %s", dyrt_g.root);
  char *dir = state_dir_for(o->id);
  if (mkdir(dir, 0700) < 0) {
    if (errno == EEXIST)
      dy_die("container with id %s already exists", o->id);
    dy_die_errno("create %s", dir);
  }
  create_cleanup.state_dir = dir;
  create_cleanup.armed = true;
  atexit(undo_create);

  char *fifo = dy_xasprintf("%s/exec.fifo", dir);
  /* 0622: the init may have switched to an unprivileged user by the time it opens it. */
  if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0)
    dy_die_errno("mkfifo %s", fifo);
  int fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
  if (fifo_fd < 0)
    dy_die_errno("open %s", fifo);
  free(fifo);

  struct init_args a = { .config = config,
                         .fifo_fd = fifo_fd,
                         .console = -1,
                         .rootfs = rootfs,
                         .no_pivot = o->no_pivot,
                         .id = o->id,
                         .bundle = bundle };
  ns_parse(config, &a.ns);
  a.has_create_hooks = has_hooks(config, "prestart", "createRuntime");

  if (spec_bool(process, "terminal", false) && o->console_socket) {
    a.console = console_connect(o->console_socket);
  } else if (spec_bool(process, "terminal", false) && o->run && !o->detach) {
    /* Foreground `run` with a terminal: the PTY master comes back to us. */
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
      dy_die_errno("socketpair");
    run_console_fd = pair[0];
    a.console = pair[1];
  } else if (spec_bool(process, "terminal", false) && !o->run)
    dy_die("cannot allocate tty if dyrt will detach without setting console socket");

  const struct cgroup_ops *cg = cgroup_get();
  char *cgroup_rel = cgroup_path_for(config, o->id);
  a.cgroup_rel = cgroup_rel;
  create_cleanup.cgroup = cgroup_rel;
  create_cleanup.cgroup_made = true;
  cg->create(cgroup_rel);
  cg->apply(cgroup_rel, spec_path(config, "linux.resources"));

  int sync_fd;
  pid_t s1 = sync_fork(&a.sync, &sync_fd, stage1_entry, &a);
  if (a.console >= 0)
    close(a.console);
  cg->enter(cgroup_rel, s1);
  if (a.ns.new_user) {
    /* The child asks for its id maps first; the cgroup acknowledgement follows. */
    char msg[2048];
    ssize_t n;
    do
      n = recv(sync_fd, msg, sizeof msg - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      waitpid(s1, NULL, 0);
      dy_die("container init exited before it was ready");
    }
    msg[n] = '\0';
    if (strcmp(msg, SYNC_MAPS) != 0)
      dy_die("%s", msg);
    ns_write_id_maps(s1, config);
    sync_send(sync_fd, SYNC_ACK);
  }
  sync_send(sync_fd, SYNC_ACK);

  memset(st, 0, sizeof *st);
  st->id = dy_xstrdup(o->id);
  st->dir = dir;
  st->bundle = dy_xstrdup(bundle);
  st->cgroup = cgroup_rel;
  st->config = config;
  st->created = now_rfc3339();

  pid_t init = 0;
  struct create_sync cs = { .st = st, .config = config };
  struct sync_handlers handlers = { .on_pid = create_on_pid, .on_hooks = create_on_hooks, .arg = &cs };
  char err[2048];
  switch (sync_collect(sync_fd, &init, &handlers, err, sizeof err)) {
  case SYNC_GONE:
    waitpid(s1, NULL, 0);
    dy_die("container init exited before it was ready");
  case SYNC_ERROR:
    dy_die("%s", err);
  default:
    break;
  }
  close(sync_fd);
  waitpid(s1, NULL, 0);
  close(fifo_fd);
  st->starttime = dy_proc_start_time(init);

  char *cfg_path = dy_xasprintf("%s/config.json", dir);
  if (json_dump_file(config, cfg_path, JSON_COMPACT) < 0)
    dy_die("write %s", cfg_path);
  free(cfg_path);
  state_save(st);
  if (o->pid_file) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int) init);
    if (dy_write_file_atomic(o->pid_file, buf, (size_t) n, 0644) < 0)
      dy_die_errno("write pid file %s", o->pid_file);
  }
  create_cleanup.armed = false;
  return init;
}

int cmd_create(struct create_opts *o)
{
  struct cstate st;
  do_create(o, &st);
  return 0;
}

/* ---------- start ---------- */

static void load_or_die(const char *id, struct cstate *st)
{
  state_validate_id(id);
  if (state_load(id, st) < 0)
    dy_die("container %s does not exist", id);
}

static void start_loaded(struct cstate *st)
{
  enum cstatus s = state_status(st);
  if (s != ST_CREATED)
    dy_die("cannot start a container that has %s", s == ST_STOPPED ? "stopped" : "already started");
  char *fifo = dy_xasprintf("%s/exec.fifo", st->dir);
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    dy_die_errno("open %s", fifo);
  for (;;) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR)
      dy_die_errno("poll exec fifo");
    if (r > 0) {
      char c;
      ssize_t n = read(fd, &c, 1);
      if (n == 1)
        break;
      if (n == 0 || (n < 0 && errno != EAGAIN))
        dy_die("container init exited before start");
    }
    if (!pid_alive(st->pid, st->starttime))
      dy_die("container init exited before start");
  }
  close(fd);
  unlink(fifo);
  free(fifo);
  json_t *hooks = json_object_get(st->config, "hooks");
  if (json_array_size(json_object_get(hooks, "poststart"))) {
    char *sj = state_oci_json(st, ST_RUNNING);
    hooks_run(hooks, "poststart", sj, false);
    free(sj);
  }
}

int cmd_start(const char *id)
{
  struct cstate st;
  load_or_die(id, &st);
  start_loaded(&st);
  return 0;
}

int cmd_state(const char *id)
{
  struct cstate st;
  load_or_die(id, &st);
  char *j = state_oci_json(&st, state_status(&st));
  puts(j);
  free(j);
  return 0;
}

/* ---------- kill / delete ---------- */

static const struct {
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },     { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT }, { "BUS", SIGBUS },     { "FPE", SIGFPE },   { "KILL", SIGKILL },   { "USR1", SIGUSR1 },
  { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },   { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },   { "TERM", SIGTERM },
  { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },
  { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "PWR", SIGPWR },     { "SYS", SIGSYS },
};

int parse_signal(const char *s)
{
  if (!s)
    return SIGTERM;
  char *end;
  long n = strtol(s, &end, 10);
  if (*s && !*end) {
    if (n <= 0 || n > 64)
      dy_die("invalid signal %s", s);
    return (int) n;
  }
  if (strncasecmp(s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp(signals[i].name, s) == 0)
      return signals[i].sig;
  dy_die("invalid signal %s", s);
}

static void signal_all(struct cstate *st, int sig)
{
  size_t n = 0;
  pid_t *pids = cgroup_get()->pids(st->cgroup, &n);
  for (size_t i = 0; i < n; i++)
    kill(pids[i], sig);
  free(pids);
}

int cmd_kill(const char *id, const char *sigstr, bool all)
{
  struct cstate st;
  load_or_die(id, &st);
  int sig = parse_signal(sigstr);
  enum cstatus s = state_status(&st);
  if (s == ST_STOPPED && !all)
    dy_die("container not running");
  if (all) {
    signal_all(&st, sig);
    if (s == ST_PAUSED && sig == SIGKILL)
      cgroup_get()->freeze(st.cgroup, false);
    return 0;
  }
  if (kill(st.pid, sig) < 0)
    dy_die_errno("kill container init");
  return 0;
}

static void wait_dead(struct cstate *st)
{
  for (int i = 0; i < 5000 && pid_alive(st->pid, st->starttime); i++) {
    struct timespec ts = { 0, 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
}

static void destroy_loaded(struct cstate *st, enum cstatus s)
{
  const struct cgroup_ops *cg = cgroup_get();
  if (s != ST_STOPPED) {
    kill(st->pid, SIGKILL);
    signal_all(st, SIGKILL);
    if (s == ST_PAUSED)
      cg->freeze(st->cgroup, false);
    wait_dead(st);
  }
  if (st->cgroup[0]) {
    /* Processes outside a pid namespace may outlive the init. */
    size_t n = 0;
    free(cg->pids(st->cgroup, &n));
    if (n) {
      signal_all(st, SIGKILL);
      if (cg->is_frozen(st->cgroup))
        cg->freeze(st->cgroup, false);
    }
    if (cg->destroy(st->cgroup) < 0)
      dy_warn("could not remove cgroup %s: %s", st->cgroup, strerror(errno));
  }
  json_t *hooks = json_object_get(st->config, "hooks");
  if (json_array_size(json_object_get(hooks, "poststop"))) {
    char *sj = state_oci_json(st, ST_STOPPED);
    hooks_run(hooks, "poststop", sj, false);
    free(sj);
  }
  rm_state_dir(st->dir);
}

int cmd_delete(const char *id, bool force)
{
  struct cstate st;
  state_validate_id(id);
  if (state_load(id, &st) < 0) {
    if (force) {
      /* A half-created leftover: remove what is there. */
      rm_state_dir(st.dir);
      return 0;
    }
    dy_die("container %s does not exist", id);
  }
  enum cstatus s = state_status(&st);
  if ((s == ST_RUNNING || s == ST_PAUSED) && !force)
    dy_die("cannot delete container %s that is not stopped: %s", id, status_name(s));
  destroy_loaded(&st, s);
  return 0;
}

/* ---------- run ---------- */

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

int cmd_run(struct create_opts *o)
{
  struct cstate st;
  o->run = true;
  pid_t init = do_create(o, &st);
  create_cleanup.armed = true; /* a failed start removes the container again */
  int master = -1;
  if (run_console_fd >= 0 && dy_recv_fd(run_console_fd, &master, NULL, 0) < 0)
    dy_die_errno("receive the container's pty");
  start_loaded(&st);
  create_cleanup.armed = false;
  if (o->detach)
    return 0;
  forward_to = init;
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
  while (waitpid(init, &status, 0) < 0 && errno == EINTR)
    ;
  destroy_loaded(&st, ST_STOPPED);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* ---------- pause / resume / update / ps / list ---------- */

int cmd_pause(const char *id, bool pause)
{
  struct cstate st;
  load_or_die(id, &st);
  enum cstatus s = state_status(&st);
  if (pause && s != ST_RUNNING && s != ST_CREATED)
    dy_die("container not running");
  if (!pause && s != ST_PAUSED)
    dy_die("container not paused");
  cgroup_get()->freeze(st.cgroup, pause);
  return 0;
}

int cmd_update(const char *id, json_t *resources)
{
  struct cstate st;
  load_or_die(id, &st);
  if (state_status(&st) == ST_STOPPED)
    dy_die("container not running");
  cgroup_get()->apply(st.cgroup, resources);
  return 0;
}

int cmd_ps(const char *id, bool json)
{
  struct cstate st;
  load_or_die(id, &st);
  size_t n = 0;
  pid_t *pids = cgroup_get()->pids(st.cgroup, &n);
  if (json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(arr, json_integer(pids[i]));
    char *t = json_dumps(arr, JSON_COMPACT);
    puts(t);
    free(t);
    json_decref(arr);
  } else {
    for (size_t i = 0; i < n; i++)
      printf("%d\n", (int) pids[i]);
  }
  free(pids);
  return 0;
}

int cmd_list(bool json, bool quiet)
{
  DIR *d = opendir(dyrt_g.root);
  json_t *arr = json_array();
  if (!json && !quiet)
    printf("%-24s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    struct cstate st;
    if (state_load(e->d_name, &st) < 0)
      continue;
    enum cstatus s = state_status(&st);
    if (json) {
      json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:s, s:s}", "id", st.id, "pid",
                                           s == ST_STOPPED ? 0 : (int) st.pid, "status", status_name(s), "bundle",
                                           st.bundle, "created", st.created));
    } else if (quiet) {
      puts(st.id);
    } else {
      printf("%-24s %-8d %-10s %-40s %s\n", st.id, s == ST_STOPPED ? 0 : (int) st.pid, status_name(s), st.bundle,
             st.created);
    }
  }
  if (d)
    closedir(d);
  if (json) {
    char *t = json_dumps(arr, JSON_COMPACT);
    puts(t);
    free(t);
  }
  json_decref(arr);
  return 0;
}
