/* Socket calls that need _GNU_SOURCE, which Swift's Glibc module does not expose. */
#ifndef EVENTD_SOCKET_H
#define EVENTD_SOCKET_H
#include <sys/types.h>

/* SO_PEERCRED of a connected Unix socket. Returns 0, or -1 with errno set. */
int eventd_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/* accept4(fd, NULL, NULL, SOCK_CLOEXEC). */
int eventd_accept_cloexec(int fd);
#endif
