/* Messages between the runtime and the processes it forks (SOCK_SEQPACKET).
 * Control messages start with \x01; anything else is an error text. */
#ifndef DYRT_SYNC_H
#define DYRT_SYNC_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dyrt.h"

#define SYNC_ACK "\x01" "A"
#define SYNC_MAPS "\x01" "M"
#define SYNC_PID "\x01" "P"
#define SYNC_HOOKS "\x01" "H"
#define SYNC_READY "\x01" "R"

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

#endif
