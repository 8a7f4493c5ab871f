/* Terminal: a PTY created inside the container, its master sent to --console-socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "dyrt.h"

int console_connect(const char *path)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    dy_die_errno("socket");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof addr.sun_path)
    dy_die("console socket path too long: %s", path);
  strcpy(addr.sun_path, path);
  if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    dy_die_errno("connect to console socket %s", path);
  return fd;
}

int terminal_setup(int console_sock, json_t *process)
{
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    dy_die_errno("open /dev/ptmx");
  if (unlockpt(master) < 0)
    dy_die_errno("unlockpt");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) {
    char name[128];
    if (ptsname_r(master, name, sizeof name) != 0)
      dy_die_errno("ptsname");
    slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0)
      dy_die_errno("open %s", name);
  }
  json_t *size = json_object_get(process, "consoleSize");
  if (json_is_object(size)) {
    struct winsize ws = { .ws_row = (unsigned short) json_integer_value(json_object_get(size, "height")),
                          .ws_col = (unsigned short) json_integer_value(json_object_get(size, "width")) };
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    dy_die_errno("make the pty the controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0)
      dy_die_errno("dup2 pty");
  if (slave > 2)
    close(slave);
  if (dy_send_fd(console_sock, master, "pty", 3) < 0)
    dy_die_errno("send pty master to console socket");
  close(master);
  close(console_sock);
  return 0;
}
