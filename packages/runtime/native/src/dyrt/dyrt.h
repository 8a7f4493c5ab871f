/* dyrt: shared declarations of the runtime's modules (one file per kernel concern). */
#ifndef DYRT_H
#define DYRT_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../common/util.h"

#define DYRT_OCI_VERSION "1.0.2"

struct dyrt_globals {
  const char *root;
  bool debug;
  int preserve_fds; /* --preserve-fds: fds 3..3+N-1 are passed to the process */
};
extern struct dyrt_globals dyrt_g;

/* ---- spec.c: config.json access ---- */
json_t *spec_load(const char *bundle);
const char *spec_str(json_t *obj, const char *key, const char *dflt);
bool spec_bool(json_t *obj, const char *key, bool dflt);
json_t *spec_path(json_t *root, const char *dotted); /* "linux.resources.memory" */
char **spec_strv(json_t *arr);                         /* NULL-terminated copy of a string array */

/* ---- namespaces.c ---- */
struct ns_spec {
  int flags_new;        /* CLONE_NEW* to create */
  int join_fds[8];      /* fds of namespaces to join (user first), -1 terminated */
  int join_types[8];
  int n_join;
  bool new_user;
  bool has_pid, has_mount, has_uts, has_user, has_cgroup;
};
void ns_parse(json_t *config, struct ns_spec *out);
void ns_join(struct ns_spec *ns, bool user_only);
void ns_write_id_maps(pid_t pid, json_t *config);
int ns_flag_from_name(const char *name);
const char *ns_proc_name(int flag);

/* ---- mount.c: rootfs, pivot_root, masked/readonly paths, devices ---- */
struct rootfs_ctx {
  json_t *config;
  const char *rootfs;     /* absolute host path */
  const char *cgroup_rel; /* container cgroup path */
  bool in_userns;
  bool new_cgroupns;
  bool no_pivot;
  int (*before_pivot)(void *); /* runs hooks before the root changes */
  void *before_pivot_arg;
};
void rootfs_setup(struct rootfs_ctx *ctx);
void rootfs_finalize(json_t *config); /* after pivot: masked/readonly paths, ro root */
/* O_PATH fd of path resolved inside rootfd (no escape), creating it if asked. */
int open_in_root(int rootfd, const char *path, bool create, bool make_file);

/* ---- capabilities.c ---- */
void caps_drop_bounding(json_t *caps);
void caps_apply(json_t *caps);
int cap_from_name(const char *name);

/* ---- seccomp.c ---- */
void seccomp_apply(json_t *seccomp);

/* ---- terminal.c ---- */
int terminal_setup(int console_sock, json_t *process); /* returns 0; makes the PTY the ctty on 0,1,2 */
int console_connect(const char *path);
/* Shuttle bytes between our stdio and a PTY master until it hangs up (foreground run/exec). */
void terminal_proxy(int master, volatile sig_atomic_t *winch_pending);

/* ---- process.c: last steps before execve ---- */
void process_set_rlimits(json_t *process);
void process_set_oom_score(json_t *process);
void process_set_user(json_t *process);
void process_chdir(json_t *process);
void process_close_fds(int keep_from); /* close fds >= keep_from (LISTEN_FDS aware) */
void process_exec(json_t *process) DY_NORETURN;
void process_finalize(json_t *process, json_t *config); /* caps, user, nnp, seccomp, cwd */
void sysctl_apply(json_t *config);

/* ---- cgroup.c (dispatches to cgroup-v1.c / cgroup-v2.c) ---- */
struct cgroup_ops {
  void (*create)(const char *rel);
  void (*apply)(const char *rel, json_t *resources);
  void (*enter)(const char *rel, pid_t pid);
  /* exec: like enter, but where the container's cgroup may no longer take processes, join its init's. */
  void (*enter_exec)(const char *rel, pid_t pid, pid_t init_pid);
  int (*destroy)(const char *rel);
  pid_t *(*pids)(const char *rel, size_t *n);
  int (*freeze)(const char *rel, bool freeze);
  int (*is_frozen)(const char *rel);
  void (*mount_in_container)(int rootfd, const char *dest, const char *rel, unsigned long flags, bool cgroupns);
};
extern const struct cgroup_ops cgroup_v1_ops, cgroup_v2_ops;
const struct cgroup_ops *cgroup_get(void);
char *cgroup_path_for(json_t *config, const char *id);
int cgroup_write(const char *dir, const char *file, const char *value);
int cgroup_rmdir(const char *dir);
/* The pids in <dir>/cgroup.procs (NULL with *n = 0 when unreadable); the caller frees. */
pid_t *cgroup_read_procs(const char *dir, size_t *n);

/* ---- hooks.c ---- */
int hooks_run(json_t *hooks, const char *which, const char *state_json, bool fatal);

/* ---- status.c: on-disk state of a container ---- */
enum cstatus { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };
struct cstate {
  char *id;
  char *dir;
  char *bundle;
  char *cgroup;
  pid_t pid;
  unsigned long long starttime;
  char *created;
  json_t *json;   /* the whole state.json */
  json_t *config; /* the saved config (for exec/delete) */
};
char *state_dir_for(const char *id);
void state_validate_id(const char *id);
int state_load(const char *id, struct cstate *st); /* -1 if missing */
void state_save(struct cstate *st);
enum cstatus state_status(struct cstate *st);
const char *status_name(enum cstatus s);
char *state_oci_json(struct cstate *st, enum cstatus s); /* OCI state as JSON text */
bool pid_alive(pid_t pid, unsigned long long starttime);

/* ---- verbs ---- */
struct create_opts {
  const char *id, *bundle, *pid_file, *console_socket;
  bool no_pivot, detach, run;
  int preserve_fds;
};
int cmd_create(struct create_opts *o);
int cmd_start(const char *id);
int cmd_state(const char *id);
int cmd_kill(const char *id, const char *sig, bool all);
int cmd_delete(const char *id, bool force);
int cmd_run(struct create_opts *o);
int cmd_pause(const char *id, bool pause);
int cmd_ps(const char *id, bool json);
int cmd_list(bool json, bool quiet);
int cmd_update(const char *id, json_t *resources);
int cmd_exec(int argc, char **argv);
int parse_signal(const char *s);

/* ---- cloned_binary.c ---- */
void ensure_cloned_binary(char **argv);

#endif
