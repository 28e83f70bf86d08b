/* TLS facts from OpenSSL: certificate subject, SANs, issuer, validity,
 * self-signed, key, fingerprint. */
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/probe.h"

static char *name_text(X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (!bio)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(bio, &data);
		out = malloc((size_t)len + 1);
		if (out) {
			memcpy(out, data, (size_t)len);
			out[len] = '\0';
		}
	}
	BIO_free(bio);
	return out;
}

static void time_text(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;

	out[0] = '\0';
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int add_san(struct exs_tls_facts *t, const char *prefix, const char *s, size_t n)
{
	char **v;
	char *e;
	size_t pl = strlen(prefix);

	if (t->n_sans >= 64)
		return 0; /* cap: a certificate with thousands of names is not worth listing */
	v = realloc(t->sans, (t->n_sans + 1) * sizeof(*v));
	if (!v)
		return -1;
	t->sans = v;
	e = malloc(pl + n + 1);
	if (!e)
		return -1;
	memcpy(e, prefix, pl);
	memcpy(e + pl, s, n);
	e[pl + n] = '\0';
	t->sans[t->n_sans++] = e;
	return 0;
}

int exs_tls_facts_from_cert(const void *x509, const char *name, time_t now,
                            struct exs_tls_facts *out)
{
	X509 *x = (X509 *)x509;
	GENERAL_NAMES *gens;
	EVP_PKEY *key;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out->present = true;
	out->subject = name_text(X509_get_subject_name(x));
	out->issuer = name_text(X509_get_issuer_name(x));
	time_text(X509_get0_notBefore(x), out->not_before, sizeof(out->not_before));
	time_text(X509_get0_notAfter(x), out->not_after, sizeof(out->not_after));
	out->expired = X509_cmp_time(X509_get0_notAfter(x), &now) < 0;
	out->not_yet_valid = X509_cmp_time(X509_get0_notBefore(x), &now) > 0;
	key = X509_get0_pubkey(x);
	if (key) {
		int id = EVP_PKEY_get_base_id(key);

		snprintf(out->key_type, sizeof(out->key_type), "%s",
		         id == EVP_PKEY_RSA       ? "RSA"
		         : id == EVP_PKEY_EC      ? "EC"
		         : id == EVP_PKEY_ED25519 ? "Ed25519"
		         : id == EVP_PKEY_DSA     ? "DSA"
		                                  : "other");
		out->key_bits = EVP_PKEY_get_bits(key);
		if (X509_check_issued(x, x) == X509_V_OK) {
			int ok = X509_verify(x, key) == 1;

			out->self_signed = ok;
			out->bad_signature = !ok;
		}
	}
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1) {
		for (unsigned i = 0; i < mdlen && i < 32; i++)
			snprintf(out->sha256 + 2 * i, 3, "%02x", md[i]);
	}
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS) {
			add_san(out, "DNS:", (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			        (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			char ip[64] = "";
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);

			if (len == 4)
				snprintf(ip, sizeof(ip), "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
			else if (len == 16)
				for (int k = 0; k < 16; k += 2)
					snprintf(ip + strlen(ip), sizeof(ip) - strlen(ip), "%s%x",
					         k ? ":" : "", (unsigned)(d[k] << 8 | d[k + 1]));
			if (ip[0])
				add_san(out, "IP:", ip, strlen(ip));
		}
	}
	GENERAL_NAMES_free(gens);
	if (name && name[0])
		out->name_match = X509_check_host(x, name, 0, 0, NULL) == 1 ||
		                  X509_check_ip_asc(x, name, 0) == 1;
	return 0;
}

void exs_tls_facts_release(struct exs_tls_facts *t)
{
	free(t->subject);
	free(t->issuer);
	for (size_t i = 0; i < t->n_sans; i++)
		free(t->sans[i]);
	free(t->sans);
	memset(t, 0, sizeof(*t));
}
