#ifndef CBBFTLS_H
#define CBBFTLS_H

#include <stddef.h>

/* What the entrypoint needs from OpenSSL's libcrypto (the one libpq already
 * loads): a P-256 key and a self-signed server certificate made in-process,
 * and the checks of a certificate and key someone else made. Every function
 * works on PEM text in memory; none touches a file. On failure a function
 * returns one of the codes below and writes a short reason (OpenSSL's own
 * words, never key material) into `error`. */

/* No PEM block of the expected kind in the text. */
#define BBF_TLS_NOT_PEM 1
/* A PEM block that does not decode. */
#define BBF_TLS_INVALID 2
/* A private key protected by a passphrase. */
#define BBF_TLS_ENCRYPTED 3
/* The key is not the certificate's. */
#define BBF_TLS_MISMATCH 4
/* OpenSSL failed where it should not (out of memory, no randomness). */
#define BBF_TLS_FAILED 5
#define BBF_TLS_OK 0

/* PEM text allocated by this library: free it with bbf_tls_free. */
typedef struct {
    char *certificate;
    size_t certificate_length;
    char *key;
    size_t key_length;
} bbf_tls_pem_pair;

/* What a certificate says. */
typedef struct {
    /* How many certificates the text holds (a leaf and its chain); the
     * fields below describe the first. */
    int count;
    long long not_before;
    long long not_after;
    /* RFC 2253 names, truncated to fit. */
    char subject[512];
    char issuer[512];
    /* SHA-256 of the DER encoding. */
    unsigned char sha256[32];
} bbf_tls_certificate_info;

/* Makes a self-signed X.509 v3 server certificate valid from `not_before`
 * (Unix time) for `validity_days`: subject O=`organization`, CN=`common_name`;
 * subjectAltName with `dns_names` and `ip_addresses` (textual IPv4 or IPv6);
 * basicConstraints critical CA:FALSE, keyUsage critical digitalSignature,
 * extendedKeyUsage serverAuth, subject and authority key identifiers; a
 * random 128-bit serial; ECDSA with SHA-256. The key is `key_pem` (PKCS#8 or
 * traditional PEM, unencrypted) when given, else a new P-256 key. */
int bbf_tls_make_self_signed(const char *common_name, const char *organization,
                             const char *const *dns_names, size_t dns_count,
                             const char *const *ip_addresses, size_t ip_count,
                             long long not_before, int validity_days,
                             const char *key_pem, size_t key_length,
                             bbf_tls_pem_pair *out, char *error, size_t error_size);

void bbf_tls_free(bbf_tls_pem_pair *pair);

/* Reads the PEM certificates in `pem` (the first is the server's). */
int bbf_tls_inspect_certificate(const char *pem, size_t length, bbf_tls_certificate_info *info,
                                char *error, size_t error_size);

/* Checks that `key_pem` holds an unencrypted private key and, unless
 * `certificate_pem` is NULL, that it belongs to the first certificate there
 * (the key is read first: a bad key is reported as such). */
int bbf_tls_check_key(const char *certificate_pem, size_t certificate_length,
                      const char *key_pem, size_t key_length, char *error, size_t error_size);

/* A TLS client over memory buffers, for a handshake carried inside another
 * protocol (TDS wraps it in PRELOGIN packets). It checks no certificate: the
 * health check asks whether TLS is served, not by whom. */
typedef struct bbf_tls_client bbf_tls_client;

bbf_tls_client *bbf_tls_client_new(char *error, size_t error_size);

/* Feeds what the server sent and advances the handshake: 1 when it is
 * complete, 0 when it needs more from the server, BBF_TLS_FAILED otherwise.
 * What to send then waits in the output (bbf_tls_client_take). */
int bbf_tls_client_handshake(bbf_tls_client *client, const unsigned char *input, size_t length, char *error,
                             size_t error_size);

/* Moves up to `capacity` bytes of output into `buffer`; returns how many. */
size_t bbf_tls_client_take(bbf_tls_client *client, unsigned char *buffer, size_t capacity);

/* Queues a close_notify alert. */
void bbf_tls_client_close(bbf_tls_client *client);

/* The negotiated protocol, e.g. "TLSv1.2". */
const char *bbf_tls_client_protocol(bbf_tls_client *client);

void bbf_tls_client_free(bbf_tls_client *client);

#endif
