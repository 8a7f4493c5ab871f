/* Terminal: a PTY created inside the container, its master sent to --console-socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
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

static void copy_winsize(int master)
{
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

/* Shuttle bytes between our stdio and the container's PTY until it hangs up. */
void terminal_proxy(int master, volatile sig_atomic_t *winch_pending)
{
  struct termios saved, raw;
  bool is_tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (is_tty) {
    raw = saved;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    copy_winsize(master);
  }
  bool stdin_open = true;
  char buf[8192];
  for (;;) {
    if (*winch_pending) {
      *winch_pending = 0;
      copy_winsize(master);
    }
    struct pollfd p[2] = { { .fd = master, .events = POLLIN }, { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN } };
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0 && !(n < 0 && errno == EINTR))
        break; /* EIO: the last process holding the slave is gone */
      if (n > 0 && dy_write_all(STDOUT_FILENO, buf, (size_t) n) < 0)
        break;
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0)
        stdin_open = false;
      else
        dy_write_all(master, buf, (size_t) n);
    }
  }
  if (is_tty)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}
