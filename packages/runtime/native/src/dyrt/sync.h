/* Messages between the runtime and the processes it forks (SOCK_SEQPACKET).
 * Control messages start with \x01; anything else is an error text. */
#ifndef DYRT_SYNC_H
#define DYRT_SYNC_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "dyrt.h"

#define SYNC_ACK "\x01" "A"
#define SYNC_MAPS "\x01" "M"
#define SYNC_PID "\x01" "P"
#define SYNC_HOOKS "\x01" "H"
#define SYNC_READY "\x01" "R"

/* Forks a first stage that talks back over a SEQPACKET pair: *child_end is set before the fork for the child's
 * use (it runs stage(arg), which never returns); the parent gets the pid and its own end in *parent_end. */
static inline pid_t sync_fork(int *child_end, int *parent_end, void (*stage)(void *), void *arg)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    dy_die_errno("socketpair");
  *child_end = sv[1];
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    dy_die_errno("fork");
  if (pid == 0) {
    close(sv[0]);
    stage(arg);
    _exit(1);
  }
  close(sv[1]);
  *parent_end = sv[0];
  return pid;
}

static inline void sync_send(int fd, const char *msg);

/* The end of a first stage: clones the real process as the runtime's child (CLONE_PARENT; pid 1 of a new pid
 * namespace), which runs fn(arg) and never returns, tells the runtime its pid and exits. */
static inline DY_NORETURN void sync_clone_sibling(int sync, void (*fn)(void *), void *arg)
{
  pid_t pid = (pid_t) syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0)
    dy_die_errno("clone");
  if (pid == 0) {
    fn(arg);
    _exit(1);
  }
  char msg[32];
  snprintf(msg, sizeof msg, SYNC_PID "%d", (int) pid);
  sync_send(sync, msg);
  _exit(0);
}

static inline void sync_send(int fd, const char *msg)
{
  if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
    dy_die_errno("sync send");
}

static inline void sync_wait_ack(int fd)
{
  char buf[2048];
  ssize_t n;
  do
    n = recv(fd, buf, sizeof buf - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    dy_die("runtime went away");
  buf[n] = '\0';
  if (strcmp(buf, SYNC_ACK) != 0)
    dy_die("%s", buf);
}

/* What sync_collect does on messages other than readiness. */
struct sync_handlers {
  void (*on_pid)(pid_t pid, void *arg);
  void (*on_hooks)(void *arg); /* acknowledged by sync_collect once it returns */
  void *arg;
};

enum { SYNC_OK = 0, SYNC_GONE = -1, SYNC_ERROR = -2 };

/* The intermediate reports the new process's pid and the process reports readiness over the same socket, from
 * two senders: either may arrive first, so wait for both. SYNC_GONE: the peers exited first; SYNC_ERROR: err
 * holds the error text one of them sent. */
static inline int sync_collect(int fd, pid_t *pid, const struct sync_handlers *h, char *err, size_t errlen)
{
  bool ready = false;
  *pid = 0;
  while (!ready || *pid == 0) {
    char msg[2048];
    ssize_t n = recv(fd, msg, sizeof msg - 1, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return SYNC_GONE;
    msg[n] = '\0';
    if (strncmp(msg, SYNC_PID, strlen(SYNC_PID)) == 0) {
      *pid = (pid_t) atoi(msg + strlen(SYNC_PID));
      if (h && h->on_pid)
        h->on_pid(*pid, h->arg);
    } else if (strcmp(msg, SYNC_HOOKS) == 0 && h && h->on_hooks) {
      h->on_hooks(h->arg);
      sync_send(fd, SYNC_ACK);
    } else if (strcmp(msg, SYNC_READY) == 0) {
      ready = true;
    } else {
      snprintf(err, errlen, "%s", msg);
      return SYNC_ERROR;
    }
  }
  return SYNC_OK;
}

#endif
