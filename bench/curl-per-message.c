/* What a tool that uses libcurl's IMAP URLs as documented pays: one URL (one round trip) per message,
 * ";UID=n;SECTION=HEADER.FIELDS (...)", on a reused easy handle.
 * usage: curl-per-message PORT USER PASSWORD FOLDER COUNT ; prints the bytes received. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

static size_t count_bytes(char *data, size_t size, size_t n, void *total) {
    (void)data;
    *(long *)total += (long)(size * n);
    return size * n;
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: curl-per-message PORT USER PASSWORD FOLDER COUNT\n"); return 2; }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init();
    long total = 0;
    char url[1024];
    curl_easy_setopt(curl, CURLOPT_USERNAME, argv[2]);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, argv[3]);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, count_bytes);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &total);
    int count = atoi(argv[5]);
    for (int uid = 1; uid <= count; uid++) {
        snprintf(url, sizeof url, "imap://127.0.0.1:%s/%s;UID=%d;SECTION=HEADER.FIELDS%%20(FROM%%20SENDER%%20REPLY-TO%%20TO%%20CC"
                 "%%20BCC%%20DATE%%20MESSAGE-ID%%20IN-REPLY-TO%%20LIST-ID%%20PRECEDENCE%%20AUTO-SUBMITTED)", argv[1], argv[4], uid);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        CURLcode code = curl_easy_perform(curl);
        if (code != CURLE_OK && code != CURLE_REMOTE_FILE_NOT_FOUND) { fprintf(stderr, "uid %d: %s\n", uid, curl_easy_strerror(code)); }
    }
    printf("%ld\n", total);
    curl_easy_cleanup(curl);
    return 0;
}
