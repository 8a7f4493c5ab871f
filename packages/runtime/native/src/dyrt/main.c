/* dyrt command line: runc-compatible global flags and verbs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dyrt.h"

struct dyrt_globals dyrt_g = { .root = "/run/dyrt" };

static DY_NORETURN void usage(void)
{
  fputs("usage: dyrt [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--systemd-cgroup] COMMAND ...\n"
        "commands: create start state kill delete exec run pause resume update ps list features\n",
        stderr);
  exit(1);
}

static const char *need_id(int argc, char **argv, const char *verb)
{
  if (optind >= argc)
    dy_die("%s: container id required", verb);
  return argv[optind];
}

static int do_create_or_run(int argc, char **argv, bool run)
{
  static const struct option longopts[] = {
    { "bundle", required_argument, 0, 'b' },        { "pid-file", required_argument, 0, 'p' },
    { "console-socket", required_argument, 0, 'c' }, { "no-pivot", no_argument, 0, 'n' },
    { "detach", no_argument, 0, 'd' },              { "preserve-fds", required_argument, 0, 'F' },
    { "no-new-keyring", no_argument, 0, 'k' },      { "no-subreaper", no_argument, 0, 's' },
    { "keep", no_argument, 0, 'K' },                { 0, 0, 0, 0 },
  };
  struct create_opts o = { 0 };
  int opt;
  while ((opt = getopt_long(argc, argv, "b:d", longopts, NULL)) != -1) {
    switch (opt) {
    case 'b':
      o.bundle = optarg;
      break;
    case 'p':
      o.pid_file = optarg;
      break;
    case 'c':
      o.console_socket = optarg;
      break;
    case 'n':
      o.no_pivot = true;
      break;
    case 'd':
      o.detach = true;
      break;
    case 'F':
      o.preserve_fds = atoi(optarg);
      dyrt_g.preserve_fds = o.preserve_fds;
      break;
    case 'k':
    case 's':
    case 'K':
      break;
    default:
      usage();
    }
  }
  o.id = need_id(argc, argv, run ? "run" : "create");
  /* Paths given relative to the caller's cwd stay valid after we chdir into the bundle. */
  char *abs_pid = NULL, *abs_sock = NULL;
  if (o.pid_file && o.pid_file[0] != '/')
    o.pid_file = abs_pid = dy_xasprintf("%s/%s", get_current_dir_name(), o.pid_file);
  if (o.console_socket && o.console_socket[0] != '/')
    o.console_socket = abs_sock = dy_xasprintf("%s/%s", get_current_dir_name(), o.console_socket);
  return run ? cmd_run(&o) : cmd_create(&o);
}

static json_t *read_resources(const char *path)
{
  json_error_t err;
  json_t *j = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &err) : json_load_file(path, 0, &err);
  if (!j)
    dy_die("cannot load resources %s: %s", path, err.text);
  return j;
}

static void set_num(json_t *res, const char *group, const char *key, const char *val)
{
  json_t *g = json_object_get(res, group);
  if (!g) {
    g = json_object();
    json_object_set_new(res, group, g);
  }
  json_object_set_new(g, key, json_integer(strtoll(val, NULL, 10)));
}

static int do_update(int argc, char **argv)
{
  static const struct option longopts[] = {
    { "resources", required_argument, 0, 'r' },   { "memory", required_argument, 0, 'm' },
    { "memory-swap", required_argument, 0, 's' }, { "memory-reservation", required_argument, 0, 'R' },
    { "pids-limit", required_argument, 0, 'P' },  { "cpu-quota", required_argument, 0, 'q' },
    { "cpu-period", required_argument, 0, 'p' },  { "cpu-shares", required_argument, 0, 'S' },
    { "cpuset-cpus", required_argument, 0, 'c' }, { "cpuset-mems", required_argument, 0, 'M' },
    { "blkio-weight", required_argument, 0, 'b' }, { 0, 0, 0, 0 },
  };
  json_t *res = json_object();
  int opt;
  while ((opt = getopt_long(argc, argv, "r:", longopts, NULL)) != -1) {
    switch (opt) {
    case 'r':
      json_object_update(res, read_resources(optarg));
      break;
    case 'm':
      set_num(res, "memory", "limit", optarg);
      break;
    case 's':
      set_num(res, "memory", "swap", optarg);
      break;
    case 'R':
      set_num(res, "memory", "reservation", optarg);
      break;
    case 'P':
      set_num(res, "pids", "limit", optarg);
      break;
    case 'q':
      set_num(res, "cpu", "quota", optarg);
      break;
    case 'p':
      set_num(res, "cpu", "period", optarg);
      break;
    case 'S':
      set_num(res, "cpu", "shares", optarg);
      break;
    case 'c':
    case 'M': {
      json_t *g = json_object_get(res, "cpu");
      if (!g) {
        g = json_object();
        json_object_set_new(res, "cpu", g);
      }
      json_object_set_new(g, opt == 'c' ? "cpus" : "mems", json_string(optarg));
      break;
    }
    case 'b':
      set_num(res, "blockIO", "weight", optarg);
      break;
    default:
      usage();
    }
  }
  return cmd_update(need_id(argc, argv, "update"), res);
}

static int do_features(void)
{
  puts("{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"" DYRT_OCI_VERSION "\","
       "\"hooks\":[\"prestart\",\"createRuntime\",\"createContainer\",\"startContainer\",\"poststart\",\"poststop\"],"
       "\"mountOptions\":[\"ro\",\"rw\",\"nosuid\",\"nodev\",\"noexec\",\"bind\",\"rbind\",\"rprivate\",\"rslave\","
       "\"rshared\"],"
       "\"linux\":{\"namespaces\":[\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\",\"user\",\"uts\"],"
       "\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false},\"seccomp\":{\"enabled\":true}}}");
  return 0;
}

int main(int argc, char **argv)
{
  dy_progname = "dyrt";
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    const char *val = NULL;
    const char *eq = strchr(a, '=');
    char name[64];
    size_t nlen = eq ? (size_t) (eq - a) : strlen(a);
    if (nlen >= sizeof name)
      usage();
    memcpy(name, a, nlen);
    name[nlen] = '\0';
    const char *n = name[1] == '-' ? name + 2 : name + 1;
    bool takes_value =
        strcmp(n, "root") == 0 || strcmp(n, "log") == 0 || strcmp(n, "log-format") == 0 || strcmp(n, "criu") == 0;
    if (takes_value) {
      if (eq)
        val = eq + 1;
      else if (i + 1 < argc)
        val = argv[++i];
      else
        usage();
    }
    if (strcmp(n, "root") == 0)
      dyrt_g.root = val;
    else if (strcmp(n, "log") == 0) {
      dy_log_fd = open(val, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    } else if (strcmp(n, "log-format") == 0)
      dy_log_json = strcmp(val, "json") == 0;
    else if (strcmp(n, "debug") == 0)
      dyrt_g.debug = true;
    else if (strcmp(n, "version") == 0 || strcmp(n, "v") == 0) {
      printf("dyrt version 0.1.0\nspec: %s\n", DYRT_OCI_VERSION);
      return 0;
    } else if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0)
      usage();
    /* --systemd-cgroup, --rootless, --criu: accepted, ignored (cgroupfs only). */
  }
  if (i >= argc)
    usage();
  /* create/run chdir into the bundle: keep the state root independent of the cwd. */
  if (dyrt_g.root[0] != '/')
    dyrt_g.root = dy_xasprintf("%s/%s", get_current_dir_name(), dyrt_g.root);
  const char *verb = argv[i];
  int vargc = argc - i;
  char **vargv = argv + i;
  optind = 1;

  if (strcmp(verb, "create") == 0 || strcmp(verb, "run") == 0 || strcmp(verb, "exec") == 0)
    ensure_cloned_binary(argv);

  if (strcmp(verb, "create") == 0)
    return do_create_or_run(vargc, vargv, false);
  if (strcmp(verb, "run") == 0)
    return do_create_or_run(vargc, vargv, true);
  if (strcmp(verb, "exec") == 0)
    return cmd_exec(vargc, vargv);
  if (strcmp(verb, "update") == 0)
    return do_update(vargc, vargv);
  if (strcmp(verb, "features") == 0)
    return do_features();

  static const struct option longopts[] = {
    { "all", no_argument, 0, 'a' },  { "force", no_argument, 0, 'f' }, { "format", required_argument, 0, 'F' },
    { "quiet", no_argument, 0, 'q' }, { 0, 0, 0, 0 },
  };
  bool all = false, force = false, quiet = false;
  const char *format = "table";
  int opt;
  while ((opt = getopt_long(vargc, vargv, "afF:q", longopts, NULL)) != -1) {
    switch (opt) {
    case 'a':
      all = true;
      break;
    case 'f':
      force = true;
      break;
    case 'F':
      format = optarg;
      break;
    case 'q':
      quiet = true;
      break;
    default:
      usage();
    }
  }
  if (strcmp(verb, "list") == 0)
    return cmd_list(strcmp(format, "json") == 0, quiet);
  const char *id = need_id(vargc, vargv, verb);
  if (strcmp(verb, "start") == 0)
    return cmd_start(id);
  if (strcmp(verb, "state") == 0)
    return cmd_state(id);
  if (strcmp(verb, "kill") == 0)
    return cmd_kill(id, optind + 1 < vargc ? vargv[optind + 1] : NULL, all);
  if (strcmp(verb, "delete") == 0)
    return cmd_delete(id, force);
  if (strcmp(verb, "pause") == 0)
    return cmd_pause(id, true);
  if (strcmp(verb, "resume") == 0)
    return cmd_pause(id, false);
  if (strcmp(verb, "ps") == 0)
    return cmd_ps(id, strcmp(format, "json") == 0);
  dy_die("unknown command %s", verb);
}
