#define _GNU_SOURCE
/* The physical-limit proxy for kith's harvest: one plain socket, LOGIN, then for each folder a pipelined
 * EXAMINE and UID FETCH 1:* of the same header fields kith asks for, reading until each tagged OK.
 * It parses nothing but tags: what it costs is the server plus the wire.
 * usage: raw-reader PORT USER PASSWORD FOLDER... ; prints the bytes received. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buffer[1 << 20];

static long wait_for(int fd, const char *tag) {
    /* Reads until a line starting with TAG arrives; a tag never occurs at a line start inside our literals. */
    char needle[32];
    snprintf(needle, sizeof needle, "\n%s ", tag);
    long total = 0;
    char tail[64] = "\n";
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer - 1);
        if (n <= 0) { fprintf(stderr, "connection closed waiting for %s\n", tag); exit(1); }
        total += n;
        buffer[n] = 0;
        char joined[64 + 64];
        size_t keep = strlen(tail);
        memcpy(joined, tail, keep);
        size_t head = n < 63 ? (size_t)n : 63;
        memcpy(joined + keep, buffer, head);
        joined[keep + head] = 0;
        if (strstr(joined, needle) || memmem(buffer, n, needle, strlen(needle))) return total;
        size_t last = n < 40 ? (size_t)n : 40;
        memcpy(tail, buffer + n - last, last);
        tail[last] = 0;
    }
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: raw-reader PORT USER PASSWORD FOLDER...\n"); return 2; }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { perror("connect"); return 1; }
    read(fd, buffer, sizeof buffer);
    char command[4096];
    snprintf(command, sizeof command, "L LOGIN \"%s\" \"%s\"\r\n", argv[2], argv[3]);
    write(fd, command, strlen(command));
    long total = wait_for(fd, "L");
    for (int i = 4; i < argc; i++) {
        snprintf(command, sizeof command,
                 "E%d EXAMINE \"%s\"\r\nF%d UID FETCH 1:* (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM SENDER REPLY-TO TO CC BCC "
                 "DATE MESSAGE-ID IN-REPLY-TO LIST-ID PRECEDENCE AUTO-SUBMITTED)])\r\n", i, argv[i], i);
        write(fd, command, strlen(command));
        char tag[16];
        snprintf(tag, sizeof tag, "F%d", i);
        total += wait_for(fd, tag);
    }
    write(fd, "Z LOGOUT\r\n", 10);
    printf("%ld\n", total);
    return 0;
}
