/* modelrepo-bench-ref-server: the ceiling for the HTTP benchmarks.
 *
 *   modelrepo-bench-ref-server [PORT]      (0 or none: a free port)
 *
 * A single-threaded epoll loop on 127.0.0.1 that frames HTTP/1.1 requests (headers up to the blank
 * line, then Content-Length bytes of body, skipped as it arrives), keeps connections alive and answers every request with
 * the same small JSON body, shaped like a one-row infer response. It parses nothing else and calls
 * no model: what it costs is the transport alone. It prints "listening on http://127.0.0.1:PORT".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY                                                                                      \
  "{\"model_name\":\"mushroom-xgboost\",\"model_version\":\"v0.1.0\",\"id\":\"req-1\","           \
  "\"parameters\":{},\"outputs\":[{\"name\":\"predict\",\"shape\":[1,1],\"datatype\":\"FP32\"," \
  "\"parameters\":{\"content_type\":\"np\"},\"data\":[0.28583017]}]}"

enum { MAX_CONN = 4096, BUF = 1 << 16 };

/* Per connection: the unparsed header bytes, and how much of the current body is still to come
 * (bodies are skipped as they arrive, never buffered, so large requests cost no memory). */
struct conn {
  char *buf;
  size_t len, skip;
};

static struct conn conns[MAX_CONN];
static char reply[512];
static int reply_len;

/* Consumes c->buf[0..c->len): returns the number of requests completed, or -1 on a bad request. */
static int consume(struct conn *c) {
  size_t pos = 0;
  int done = 0;
  while (pos < c->len) {
    if (c->skip) {
      size_t k = c->len - pos < c->skip ? c->len - pos : c->skip;
      pos += k;
      c->skip -= k;
      if (!c->skip) ++done;
      continue;
    }
    const char *b = c->buf + pos, *end = memmem(b, c->len - pos, "\r\n\r\n", 4);
    if (!end) break;
    unsigned long body = 0;
    for (const char *p = b; p < end; ++p)
      if ((p == b || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) {
        body = strtoul(p + 15, NULL, 10);
        break;
      }
    pos += (size_t)(end - b) + 4;
    c->skip = body;
    if (!body) ++done;
  }
  memmove(c->buf, c->buf + pos, c->len - pos);
  c->len -= pos;
  return c->len == BUF ? -1 : done; /* a header block that fills the buffer is refused */
}

static void drop(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  conns[fd].len = conns[fd].skip = 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  reply_len = snprintf(reply, sizeof reply,
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
                       strlen(BODY), BODY);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 0)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024) ||
      getsockname(ls, (struct sockaddr *)&a, &al)) {
    perror("listen");
    return 1;
  }
  printf("listening on http://127.0.0.1:%d\n", ntohs(a.sin_port));
  fflush(stdout);

  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int c;
        while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (c >= MAX_CONN) { close(c); continue; }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (!conns[c].buf) conns[c].buf = malloc(BUF);
          conns[c].len = conns[c].skip = 0;
          ev.events = EPOLLIN;
          ev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        }
        continue;
      }
      struct conn *cn = &conns[fd];
      ssize_t r = read(fd, cn->buf + cn->len, BUF - cn->len);
      if (r <= 0) { drop(ep, fd); continue; }
      cn->len += (size_t)r;
      int answers = consume(cn);
      if (answers < 0) { drop(ep, fd); continue; }
      for (; answers > 0; --answers) {  /* small replies: a blocking-style write suffices */
        if (write(fd, reply, (size_t)reply_len) != reply_len) { drop(ep, fd); break; }
      }
    }
  }
}
