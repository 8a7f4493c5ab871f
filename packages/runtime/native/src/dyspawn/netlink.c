/* Just enough rtnetlink for a container's veth: create a pair, enslave to a bridge, hairpin, MAC, up, an IPv4
 * address and a default route, delete a link. Each request waits for the kernel's acknowledgement. */
#define _GNU_SOURCE
#include "builtins.h"

#include <stdlib.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_BUF 4096

struct nlreq {
  union {
    struct nlmsghdr h;
    char buf[NL_BUF];
  };
};

static unsigned seq;

static void nl_init(struct nlreq *r, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len)
{
  memset(r, 0, sizeof *r);
  r->h.nlmsg_len = (uint32_t) NLMSG_LENGTH(hdr_len);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = (uint16_t) (NLM_F_REQUEST | NLM_F_ACK | flags);
  r->h.nlmsg_seq = ++seq;
  memcpy(NLMSG_DATA(&r->h), hdr, hdr_len);
}

/* Requests are built from our own short fields; running out of room is a bug, not an input error. */
static struct rtattr *nl_put(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
  size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
  if (at + RTA_SPACE(len) > NL_BUF)
    abort();
  struct rtattr *a = (struct rtattr *) (r->buf + at);
  a->rta_type = type;
  a->rta_len = (unsigned short) RTA_LENGTH(len);
  if (len)
    memcpy(RTA_DATA(a), data, len);
  r->h.nlmsg_len = (uint32_t) (at + RTA_ALIGN(a->rta_len));
  return a;
}

static void nl_put_str(struct nlreq *r, uint16_t type, const char *s)
{
  nl_put(r, type, s, strlen(s) + 1);
}

static void nl_put_u32(struct nlreq *r, uint16_t type, uint32_t v)
{
  nl_put(r, type, &v, sizeof v);
}

static struct rtattr *nl_nest(struct nlreq *r, uint16_t type)
{
  return nl_put(r, (uint16_t) (type | NLA_F_NESTED), NULL, 0);
}

static void nl_nest_end(struct nlreq *r, struct rtattr *nest)
{
  nest->rta_len = (unsigned short) (r->buf + r->h.nlmsg_len - (char *) nest);
}

static int nl_open(void)
{
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -errno;
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *) &local, sizeof local) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

/* Sends one request and returns the kernel's answer: 0 or -errno. */
static int nl_talk(int fd, struct nlreq *r)
{
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return -errno;
  char reply[NL_BUF];
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    for (struct nlmsghdr *h = (struct nlmsghdr *) reply; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != r->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
        continue;
      const struct nlmsgerr *e = NLMSG_DATA(h);
      return e->error;
    }
  }
}

/* The calling process's network namespace, so that a builtin can enter another one and come back. */
static int home_netns = -1;

int remember_home_netns(void)
{
  if (home_netns < 0)
    home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  return home_netns < 0 ? -errno : 0;
}

static int enter_netns(const char *path)
{
  int rc = remember_home_netns();
  if (rc < 0)
    return rc;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  rc = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
  close(fd);
  return rc;
}

/* Not getting back would leave every later tool this helper starts in a container's namespace: stop instead. */
void leave_netns(void)
{
  if (setns(home_netns, CLONE_NEWNET) < 0)
    die("returning to the host network namespace");
}

static int link_index(const char *name)
{
  unsigned idx = if_nametoindex(name);
  return idx ? (int) idx : -errno;
}

/* RTM_NEWLINK on an existing link named `name`: optionally a master, a MAC and up. */
static int link_set(int fd, const char *name, int master, const unsigned char *mac, bool up)
{
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  if (up) {
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
  }
  struct nlreq r;
  nl_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  nl_put_str(&r, IFLA_IFNAME, name);
  if (master > 0)
    nl_put_u32(&r, IFLA_MASTER, (uint32_t) master);
  if (mac)
    nl_put(&r, IFLA_ADDRESS, mac, 6);
  return nl_talk(fd, &r);
}

/* `ip link set dev <name> type bridge_slave hairpin on`: a container reaches itself through a published port. */
static int bridge_port_hairpin(int fd, const char *name)
{
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlreq r;
  nl_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  nl_put_str(&r, IFLA_IFNAME, name);
  struct rtattr *info = nl_nest(&r, IFLA_LINKINFO);
  nl_put_str(&r, IFLA_INFO_SLAVE_KIND, "bridge");
  struct rtattr *data = nl_nest(&r, IFLA_INFO_SLAVE_DATA);
  uint8_t on = 1;
  nl_put(&r, IFLA_BRPORT_MODE, &on, sizeof on);
  nl_nest_end(&r, data);
  nl_nest_end(&r, info);
  return nl_talk(fd, &r);
}

/* A veth pair: `host` here (on `master` when > 0), `peer` born in the namespace open at `netns_fd`. */
static int veth_add(int fd, const char *host, int master, const char *peer, const unsigned char *peer_mac,
                    int netns_fd)
{
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlreq r;
  nl_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  nl_put_str(&r, IFLA_IFNAME, host);
  if (master > 0)
    nl_put_u32(&r, IFLA_MASTER, (uint32_t) master);
  struct rtattr *info = nl_nest(&r, IFLA_LINKINFO);
  nl_put_str(&r, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nl_nest(&r, IFLA_INFO_DATA);
  struct rtattr *peer_attr = nl_nest(&r, VETH_INFO_PEER);
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  /* VETH_INFO_PEER carries a whole ifinfomsg followed by the peer's attributes. */
  size_t at = r.h.nlmsg_len;
  memcpy(r.buf + at, &peer_ifi, sizeof peer_ifi);
  r.h.nlmsg_len = (uint32_t) (at + NLMSG_ALIGN(sizeof peer_ifi));
  nl_put_str(&r, IFLA_IFNAME, peer);
  if (peer_mac)
    nl_put(&r, IFLA_ADDRESS, peer_mac, 6);
  nl_put_u32(&r, IFLA_NET_NS_FD, (uint32_t) netns_fd);
  nl_nest_end(&r, peer_attr);
  nl_nest_end(&r, data);
  nl_nest_end(&r, info);
  return nl_talk(fd, &r);
}

static int addr_add(int fd, int ifindex, const struct in_addr *ip, int prefix_len)
{
  struct ifaddrmsg ifa = {
      .ifa_family = AF_INET,
      .ifa_prefixlen = (unsigned char) prefix_len,
      .ifa_index = (unsigned) ifindex,
  };
  struct nlreq r;
  nl_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  nl_put(&r, IFA_LOCAL, ip, sizeof *ip);
  nl_put(&r, IFA_ADDRESS, ip, sizeof *ip);
  return nl_talk(fd, &r);
}

/* `ip route replace default via <gw> dev <ifindex>`. */
static int default_route(int fd, int ifindex, const struct in_addr *gw)
{
  struct rtmsg rt = {
      .rtm_family = AF_INET,
      .rtm_table = RT_TABLE_MAIN,
      .rtm_protocol = RTPROT_BOOT,
      .rtm_scope = RT_SCOPE_UNIVERSE,
      .rtm_type = RTN_UNICAST,
  };
  struct nlreq r;
  nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof rt);
  nl_put(&r, RTA_GATEWAY, gw, sizeof *gw);
  nl_put_u32(&r, RTA_OIF, (uint32_t) ifindex);
  return nl_talk(fd, &r);
}

int nl_link_del(const char *name)
{
  int fd = nl_open();
  if (fd < 0)
    return fd;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlreq r;
  nl_init(&r, RTM_DELLINK, 0, &ifi, sizeof ifi);
  nl_put_str(&r, IFLA_IFNAME, name);
  int rc = nl_talk(fd, &r);
  close(fd);
  return rc == -ENODEV ? 0 : rc;
}

static int nl_loopback_up(const char *netns)
{
  int rc = enter_netns(netns);
  if (rc < 0)
    return rc;
  int fd = nl_open();
  rc = fd < 0 ? fd : link_set(fd, "lo", 0, NULL, true);
  if (fd >= 0)
    close(fd);
  leave_netns();
  return rc;
}

/* Inside the container's namespace: MAC (when given) and up, the address, lo up, the default route. */
static int configure_inside(const struct veth_plan *p, bool set_mac)
{
  int rc = enter_netns(p->netns);
  if (rc < 0)
    return rc;
  int fd = nl_open();
  if (fd < 0) {
    leave_netns();
    return fd;
  }
  int idx = link_index(p->ifname);
  rc = idx < 0 ? idx : link_set(fd, p->ifname, 0, set_mac ? p->mac : NULL, true);
  if (rc == 0)
    rc = addr_add(fd, idx, &p->ip, p->prefix_len);
  if (rc == 0)
    rc = link_set(fd, "lo", 0, NULL, true);
  if (rc == 0 && p->has_gateway)
    rc = default_route(fd, idx, &p->gateway);
  close(fd);
  leave_netns();
  return rc;
}

static int host_end_up(int fd, const struct veth_plan *p, int master)
{
  int rc = link_set(fd, p->host, master, NULL, true);
  return rc < 0 ? rc : bridge_port_hairpin(fd, p->host);
}

int nl_veth_create(const struct veth_plan *p)
{
  int master = link_index(p->bridge);
  if (master < 0)
    return master;
  int ns = open(p->netns, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return -errno;
  int fd = nl_open();
  int rc = fd < 0 ? fd : veth_add(fd, p->host, master, p->ifname, p->mac, ns);
  close(ns);
  if (rc == 0)
    rc = host_end_up(fd, p, 0);
  if (fd >= 0)
    close(fd);
  return rc < 0 ? rc : configure_inside(p, false);
}

int nl_veth_attach(const struct veth_plan *p)
{
  int master = link_index(p->bridge);
  if (master < 0)
    return master;
  int fd = nl_open();
  if (fd < 0)
    return fd;
  int rc = host_end_up(fd, p, master);
  close(fd);
  return rc < 0 ? rc : configure_inside(p, true);
}

int nl_veth_spare(const char *host, const char *netns)
{
  int ns = open(netns, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return -errno;
  int fd = nl_open();
  int rc = fd < 0 ? fd : veth_add(fd, host, 0, "eth0", NULL, ns);
  close(ns);
  if (fd >= 0)
    close(fd);
  return rc < 0 ? rc : nl_loopback_up(netns);
}
