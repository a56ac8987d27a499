#ifndef KITH_CLIBCRYPTO_SHIM_H
#define KITH_CLIBCRYPTO_SHIM_H
#include <openssl/sha.h>
#include <openssl/evp.h>
#endif
