#include "CBBFTLS.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "CBBFTLS needs OpenSSL 3 (Debian 12's libssl-dev)"
#endif

/* The reason OpenSSL recorded last, after `what`; clears the error queue. */
static int fail(int code, const char *what, char *error, size_t error_size) {
    unsigned long last = ERR_peek_last_error();
    if (error != NULL && error_size > 0) {
        if (last != 0) {
            char reason[256];
            ERR_error_string_n(last, reason, sizeof reason);
            snprintf(error, error_size, "%s (%s)", what, reason);
        } else {
            snprintf(error, error_size, "%s", what);
        }
    }
    ERR_clear_error();
    return code;
}

static int contains(const char *text, size_t length, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0 || length < n) return 0;
    for (size_t i = 0; i + n <= length; i++) {
        if (text[i] == needle[0] && memcmp(text + i, needle, n) == 0) return 1;
    }
    return 0;
}

/* Copies a memory BIO's content into a new NUL-terminated buffer. */
static char *take_bio(BIO *bio, size_t *length) {
    char *data = NULL;
    long size = BIO_get_mem_data(bio, &data);
    if (size < 0 || data == NULL) return NULL;
    char *copy = malloc((size_t)size + 1);
    if (copy == NULL) return NULL;
    memcpy(copy, data, (size_t)size);
    copy[size] = 0;
    *length = (size_t)size;
    return copy;
}

/* Called when a PEM key wants a passphrase: note it, and give none. */
static int no_passphrase(char *buffer, int size, int writing, void *asked) {
    (void)buffer;
    (void)size;
    (void)writing;
    *(int *)asked = 1;
    return -1;
}

/* Decodes an unencrypted PEM private key. */
static int read_key(const char *pem, size_t length, EVP_PKEY **key, char *error, size_t error_size) {
    if (!contains(pem, length, "PRIVATE KEY-----")) {
        return fail(BBF_TLS_NOT_PEM, "no PEM private key (-----BEGIN PRIVATE KEY-----) in it", error, error_size);
    }
    if (length > 0x7fffffff) return fail(BBF_TLS_INVALID, "too large for a private key", error, error_size);
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    if (bio == NULL) return fail(BBF_TLS_FAILED, "BIO_new_mem_buf failed", error, error_size);
    int asked = 0;
    *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
    BIO_free(bio);
    if (*key == NULL) {
        if (asked || contains(pem, length, "ENCRYPTED")) {
            return fail(BBF_TLS_ENCRYPTED, "the private key is protected by a passphrase", error, error_size);
        }
        return fail(BBF_TLS_INVALID, "the PEM private key does not decode", error, error_size);
    }
    ERR_clear_error();
    return BBF_TLS_OK;
}

/* Decodes the first PEM certificate; counts the others. */
static int read_certificate(const char *pem, size_t length, X509 **certificate, int *count, char *error,
                            size_t error_size) {
    if (!contains(pem, length, "-----BEGIN CERTIFICATE-----")) {
        return fail(BBF_TLS_NOT_PEM, "no PEM certificate (-----BEGIN CERTIFICATE-----) in it", error, error_size);
    }
    if (length > 0x7fffffff) return fail(BBF_TLS_INVALID, "too large for a certificate", error, error_size);
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    if (bio == NULL) return fail(BBF_TLS_FAILED, "BIO_new_mem_buf failed", error, error_size);
    *certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (*certificate == NULL) {
        BIO_free(bio);
        return fail(BBF_TLS_INVALID, "the PEM certificate does not decode", error, error_size);
    }
    int n = 1;
    X509 *next;
    while ((next = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509_free(next);
        n++;
    }
    BIO_free(bio);
    ERR_clear_error(); /* the end of the text */
    if (count != NULL) *count = n;
    return BBF_TLS_OK;
}

static long long unix_time(const ASN1_TIME *time) {
    struct tm parts;
    memset(&parts, 0, sizeof parts);
    if (time == NULL || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
    return (long long)timegm(&parts);
}

static void name_text(const X509_NAME *name, char *out, size_t size) {
    out[0] = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && data != NULL) {
            size_t copy = (size_t)n < size - 1 ? (size_t)n : size - 1;
            memcpy(out, data, copy);
            out[copy] = 0;
        }
    }
    BIO_free(bio);
}

int bbf_tls_inspect_certificate(const char *pem, size_t length, bbf_tls_certificate_info *info, char *error,
                                size_t error_size) {
    ERR_clear_error();
    X509 *certificate = NULL;
    int count = 0;
    int status = read_certificate(pem, length, &certificate, &count, error, error_size);
    if (status != BBF_TLS_OK) return status;
    memset(info, 0, sizeof *info);
    info->count = count;
    info->not_before = unix_time(X509_get0_notBefore(certificate));
    info->not_after = unix_time(X509_get0_notAfter(certificate));
    name_text(X509_get_subject_name(certificate), info->subject, sizeof info->subject);
    name_text(X509_get_issuer_name(certificate), info->issuer, sizeof info->issuer);
    unsigned int digest_length = 0;
    if (X509_digest(certificate, EVP_sha256(), info->sha256, &digest_length) != 1 || digest_length != 32) {
        X509_free(certificate);
        return fail(BBF_TLS_FAILED, "X509_digest failed", error, error_size);
    }
    X509_free(certificate);
    ERR_clear_error();
    return BBF_TLS_OK;
}

int bbf_tls_check_key(const char *certificate_pem, size_t certificate_length, const char *key_pem,
                      size_t key_length, char *error, size_t error_size) {
    ERR_clear_error();
    EVP_PKEY *key = NULL;
    int status = read_key(key_pem, key_length, &key, error, error_size);
    if (status != BBF_TLS_OK) return status;
    if (certificate_pem == NULL) {
        EVP_PKEY_free(key);
        return BBF_TLS_OK;
    }
    X509 *certificate = NULL;
    status = read_certificate(certificate_pem, certificate_length, &certificate, NULL, error, error_size);
    if (status != BBF_TLS_OK) {
        EVP_PKEY_free(key);
        return status;
    }
    int matches = X509_check_private_key(certificate, key);
    EVP_PKEY_free(key);
    X509_free(certificate);
    if (matches != 1) {
        return fail(BBF_TLS_MISMATCH, "the private key is not the certificate's", error, error_size);
    }
    ERR_clear_error();
    return BBF_TLS_OK;
}

static int add_extension(X509 *certificate, X509V3_CTX *context, int nid, const char *value) {
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, context, nid, value);
    if (extension == NULL) return 0;
    int added = X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
    return added;
}

static int add_alternative_names(X509 *certificate, const char *const *dns_names, size_t dns_count,
                                 const char *const *ip_addresses, size_t ip_count) {
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    if (names == NULL) return 0;
    int ok = 1;
    for (size_t i = 0; ok && i < dns_count; i++) {
        GENERAL_NAME *name = GENERAL_NAME_new();
        ASN1_IA5STRING *text = ASN1_IA5STRING_new();
        if (name == NULL || text == NULL || !ASN1_STRING_set(text, dns_names[i], -1)) {
            GENERAL_NAME_free(name);
            ASN1_IA5STRING_free(text);
            ok = 0;
            break;
        }
        GENERAL_NAME_set0_value(name, GEN_DNS, text);
        if (!sk_GENERAL_NAME_push(names, name)) {
            GENERAL_NAME_free(name);
            ok = 0;
        }
    }
    for (size_t i = 0; ok && i < ip_count; i++) {
        ASN1_OCTET_STRING *address = a2i_IPADDRESS(ip_addresses[i]);
        GENERAL_NAME *name = address != NULL ? GENERAL_NAME_new() : NULL;
        if (name == NULL) {
            ASN1_OCTET_STRING_free(address);
            ok = 0;
            break;
        }
        GENERAL_NAME_set0_value(name, GEN_IPADD, address);
        if (!sk_GENERAL_NAME_push(names, name)) {
            GENERAL_NAME_free(name);
            ok = 0;
        }
    }
    if (ok) ok = X509_add1_ext_i2d(certificate, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
    GENERAL_NAMES_free(names);
    return ok;
}

static int random_serial(X509 *certificate) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return 0;
    bytes[0] &= 0x7f; /* positive */
    bytes[0] |= 0x40; /* and exactly 16 bytes long */
    BIGNUM *number = BN_bin2bn(bytes, sizeof bytes, NULL);
    if (number == NULL) return 0;
    int ok = BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != NULL;
    BN_free(number);
    return ok;
}

int bbf_tls_make_self_signed(const char *common_name, const char *organization, const char *const *dns_names,
                             size_t dns_count, const char *const *ip_addresses, size_t ip_count,
                             long long not_before, int validity_days, const char *key_pem, size_t key_length,
                             bbf_tls_pem_pair *out, char *error, size_t error_size) {
    ERR_clear_error();
    memset(out, 0, sizeof *out);
    EVP_PKEY *key = NULL;
    if (key_pem != NULL) {
        int status = read_key(key_pem, key_length, &key, error, error_size);
        if (status != BBF_TLS_OK) return status;
    } else {
        key = EVP_EC_gen("P-256");
        if (key == NULL) return fail(BBF_TLS_FAILED, "generating a P-256 key failed", error, error_size);
    }
    X509 *certificate = X509_new();
    BIO *certificate_bio = BIO_new(BIO_s_mem());
    BIO *key_bio = BIO_new(BIO_s_mem());
    const char *step = "X509_new";
    int ok = certificate != NULL && certificate_bio != NULL && key_bio != NULL;
    if (ok) {
        step = "setting the version, serial and validity";
        ok = X509_set_version(certificate, X509_VERSION_3) && random_serial(certificate) &&
             ASN1_TIME_set(X509_getm_notBefore(certificate), (time_t)not_before) != NULL &&
             ASN1_TIME_adj(X509_getm_notAfter(certificate), (time_t)not_before, validity_days, 0) != NULL &&
             X509_set_pubkey(certificate, key);
    }
    if (ok) {
        step = "setting the subject";
        X509_NAME *name = X509_get_subject_name(certificate);
        ok = X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)organization, -1, -1,
                                        0) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0) &&
             X509_set_issuer_name(certificate, name);
    }
    if (ok) {
        step = "adding the extensions";
        X509V3_CTX context;
        X509V3_set_ctx_nodb(&context);
        X509V3_set_ctx(&context, certificate, certificate, NULL, NULL, 0);
        ok = add_extension(certificate, &context, NID_basic_constraints, "critical,CA:FALSE") &&
             add_extension(certificate, &context, NID_key_usage, "critical,digitalSignature") &&
             add_extension(certificate, &context, NID_ext_key_usage, "serverAuth") &&
             add_extension(certificate, &context, NID_subject_key_identifier, "hash") &&
             add_extension(certificate, &context, NID_authority_key_identifier, "keyid:always") &&
             add_alternative_names(certificate, dns_names, dns_count, ip_addresses, ip_count);
    }
    if (ok) {
        step = "signing";
        ok = X509_sign(certificate, key, EVP_sha256()) > 0;
    }
    if (ok) {
        step = "writing PEM";
        ok = PEM_write_bio_X509(certificate_bio, certificate) &&
             PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL);
    }
    if (ok) {
        out->certificate = take_bio(certificate_bio, &out->certificate_length);
        out->key = take_bio(key_bio, &out->key_length);
        ok = out->certificate != NULL && out->key != NULL;
        if (!ok) bbf_tls_free(out);
    }
    X509_free(certificate);
    BIO_free(certificate_bio);
    BIO_free(key_bio);
    EVP_PKEY_free(key);
    if (!ok) return fail(BBF_TLS_FAILED, step, error, error_size);
    ERR_clear_error();
    return BBF_TLS_OK;
}

void bbf_tls_free(bbf_tls_pem_pair *pair) {
    if (pair == NULL) return;
    if (pair->key != NULL) {
        OPENSSL_cleanse(pair->key, pair->key_length);
        free(pair->key);
    }
    free(pair->certificate);
    memset(pair, 0, sizeof *pair);
}

struct bbf_tls_client {
    SSL_CTX *context;
    SSL *ssl;
    BIO *input;  /* what the server sent, for OpenSSL to read */
    BIO *output; /* what OpenSSL wrote, to send */
};

void bbf_tls_client_free(bbf_tls_client *client) {
    if (client == NULL) return;
    SSL_free(client->ssl); /* and both BIOs */
    SSL_CTX_free(client->context);
    free(client);
}

bbf_tls_client *bbf_tls_client_new(char *error, size_t error_size) {
    ERR_clear_error();
    bbf_tls_client *client = calloc(1, sizeof *client);
    if (client == NULL) {
        fail(BBF_TLS_FAILED, "out of memory", error, error_size);
        return NULL;
    }
    client->context = SSL_CTX_new(TLS_client_method());
    if (client->context != NULL) {
        SSL_CTX_set_verify(client->context, SSL_VERIFY_NONE, NULL);
        client->ssl = SSL_new(client->context);
    }
    if (client->ssl != NULL) {
        client->input = BIO_new(BIO_s_mem());
        client->output = BIO_new(BIO_s_mem());
    }
    if (client->input == NULL || client->output == NULL) {
        BIO_free(client->input);
        BIO_free(client->output);
        bbf_tls_client_free(client);
        fail(BBF_TLS_FAILED, "setting up a TLS client failed", error, error_size);
        return NULL;
    }
    SSL_set_bio(client->ssl, client->input, client->output);
    SSL_set_connect_state(client->ssl);
    return client;
}

int bbf_tls_client_handshake(bbf_tls_client *client, const unsigned char *input, size_t length, char *error,
                             size_t error_size) {
    ERR_clear_error();
    if (length > 0 && (length > 0x7fffffff || BIO_write(client->input, input, (int)length) != (int)length)) {
        return fail(BBF_TLS_FAILED, "buffering the server's data failed", error, error_size);
    }
    int result = SSL_do_handshake(client->ssl);
    if (result == 1) return 1;
    int reason = SSL_get_error(client->ssl, result);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    return fail(BBF_TLS_FAILED, "the TLS handshake failed", error, error_size);
}

size_t bbf_tls_client_take(bbf_tls_client *client, unsigned char *buffer, size_t capacity) {
    int n = BIO_read(client->output, buffer, capacity > 0x7fffffff ? 0x7fffffff : (int)capacity);
    return n > 0 ? (size_t)n : 0;
}

void bbf_tls_client_close(bbf_tls_client *client) {
    (void)SSL_shutdown(client->ssl);
    ERR_clear_error();
}

const char *bbf_tls_client_protocol(bbf_tls_client *client) { return SSL_get_version(client->ssl); }
