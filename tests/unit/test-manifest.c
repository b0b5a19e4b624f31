/* Unit tests for src/image/manifest.c: manifests, indexes, platforms, image configs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/xalloc.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define D5 "sha256:5555555555555555555555555555555555555555555555555555555555555555"
#define D6 "sha256:6666666666666666666666666666666666666666666666666666666666666666"

#define CFG "\"config\":{\"mediaType\":\"" BERTH_MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":1}"
#define LAYER(d, s) "{\"mediaType\":\"" BERTH_MT_OCI_LAYER_GZIP "\",\"digest\":\"" d "\",\"size\":" s "}"

/* docker's own serialisation of a schema2 manifest: mediaType, size, digest */
static const char docker_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_DOCKER_MANIFEST "\","
	"\"config\":{\"mediaType\":\"" BERTH_MT_DOCKER_CONFIG "\",\"size\":1469,\"digest\":\"" D1 "\"},"
	"\"layers\":[{\"mediaType\":\"" BERTH_MT_DOCKER_LAYER_GZIP "\",\"size\":2220094,\"digest\":\"" D2 "\"},"
	"{\"mediaType\":\"" BERTH_MT_DOCKER_LAYER_GZIP "\",\"size\":32,\"digest\":\"" D3 "\"}]}";

static const char oci_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\","
	"\"config\":{\"mediaType\":\"" BERTH_MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":7023},"
	"\"layers\":[{\"mediaType\":\"" BERTH_MT_OCI_LAYER_ZSTD "\",\"digest\":\"" D2 "\",\"size\":32654}]}";

static const char oci_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_INDEX "\",\"manifests\":["
	"{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":10,"
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":10,"
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D3 "\",\"size\":10,"
	"\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
	"{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D4 "\",\"size\":10,"
	"\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}},"
	"{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D5 "\",\"size\":10,"
	"\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
	"\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
	"{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D6 "\",\"size\":10,"
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.17763.1\"},"
	"\"annotations\":{\"org.opencontainers.image.ref.name\":\"win\"}}]}";

static int parse(const char *doc, const char *mt, struct berth_manifest *m, struct berth_error *err)
{
	return berth_manifest_parse(doc, strlen(doc), mt, m, err);
}

static void test_parse_manifests(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_manifest m = { 0 };

	TAP_OK(parse(docker_manifest, NULL, &m, &err) == 0);
	TAP_OK(m.kind == BERTH_MANIFEST_IMAGE && strcmp(m.media_type, BERTH_MT_DOCKER_MANIFEST) == 0);
	TAP_OK(strcmp(m.config.digest, D1) == 0 && m.config.size == 1469);
	TAP_OK(m.n_layers == 2 && strcmp(m.layers[1].digest, D3) == 0 && m.layers[0].size == 2220094);
	TAP_OK(strcmp(m.layers[0].media_type, BERTH_MT_DOCKER_LAYER_GZIP) == 0);
	berth_manifest_release(&m);

	/* the declared type may carry parameters */
	TAP_OK(parse(oci_manifest, BERTH_MT_OCI_MANIFEST "; charset=utf-8", &m, &err) == 0);
	TAP_OK(m.n_layers == 1 && strcmp(m.media_type, BERTH_MT_OCI_MANIFEST) == 0);
	berth_manifest_release(&m);

	/* OCI without mediaType: the shape decides */
	TAP_OK(parse("{\"schemaVersion\":2," CFG ",\"layers\":[]}", NULL, &m, &err) == 0 && m.kind == BERTH_MANIFEST_IMAGE &&
	       strcmp(m.media_type, BERTH_MT_OCI_MANIFEST) == 0);
	berth_manifest_release(&m);
	/* a generic content type says nothing */
	TAP_OK(parse(oci_manifest, "application/json", &m, &err) == 0);
	berth_manifest_release(&m);
	TAP_OK(parse("{\"schemaVersion\":2,\"manifests\":[]}", NULL, &m, &err) == 0 && m.kind == BERTH_MANIFEST_INDEX &&
	       m.n_manifests == 0 && strcmp(m.media_type, BERTH_MT_OCI_INDEX) == 0);
	berth_manifest_release(&m);
	/* zero layers is a valid image */
	TAP_OK(parse("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":2},"
		     "\"layers\":[]}",
		     NULL, &m, &err) == 0 &&
	       m.n_layers == 0);
	berth_manifest_release(&m);
}

static void test_parse_index(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_manifest m = { 0 };

	TAP_OK(parse(oci_index, NULL, &m, &err) == 0);
	TAP_OK(m.kind == BERTH_MANIFEST_INDEX && m.n_manifests == 6);
	TAP_OK(strcmp(m.manifests[1].architecture, "arm64") == 0 && strcmp(m.manifests[1].variant, "v8") == 0);
	TAP_OK(m.manifests[0].variant == NULL && strcmp(m.manifests[0].os, "linux") == 0);
	TAP_OK(m.manifests[5].ref_name && strcmp(m.manifests[5].ref_name, "win") == 0);
	berth_manifest_release(&m);
}

struct bad_case {
	const char *doc;
	const char *media_type;
	int code;
	const char *msg_part;
};

static const struct bad_case bad[] = {
	{ "", NULL, EINVAL, "parse manifest" },
	{ "[]", NULL, EINVAL, "not a JSON object" },
	{ "{\"schemaVersion\":2,", NULL, EINVAL, "parse manifest" },
	{ "{\"layers\":[]}", NULL, EINVAL, "\"schemaVersion\": missing" },
	{ "{\"schemaVersion\":\"2\"}", NULL, EINVAL, "\"schemaVersion\": not an integer" },
	{ "{\"schemaVersion\":1,\"fsLayers\":[]}", NULL, ENOTSUP, "schema version 1" },
	{ "{\"schemaVersion\":2,\"layers\":[]}", NULL, EINVAL, "\"config\": missing" },
	{ "{\"schemaVersion\":2," CFG "}", NULL, EINVAL, "\"layers\": missing" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":{}}", NULL, EINVAL, "\"layers\": not an array" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(D2, "1") "," LAYER("sha256:abc", "1") "]}", NULL, EINVAL,
	  "\"layers[1].digest\": invalid digest \"sha256:abc\"" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("sha512:abc", "1") "]}", NULL, EINVAL,
	  "\"layers[0].digest\": invalid digest" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(D2, "-1") "]}", NULL, EINVAL, "\"layers[0].size\": negative" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(D2, "\"1\"") "]}", NULL, EINVAL,
	  "\"layers[0].size\": not an integer" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(D2, "1.5") "]}", NULL, EINVAL,
	  "\"layers[0].size\": not an integer" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"digest\":\"" D2 "\",\"size\":1}]}", NULL, EINVAL,
	  "\"layers[0].mediaType\": missing" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":5,\"digest\":\"" D2 "\",\"size\":1}]}", NULL, EINVAL,
	  "\"layers[0].mediaType\": not a string" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"x\",\"size\":1}]}", NULL, EINVAL,
	  "\"layers[0].digest\": missing" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D2 "\"},\"layers\":[]}", NULL, EINVAL,
	  "\"config.size\": missing" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\"," CFG ",\"layers\":[]}", BERTH_MT_DOCKER_MANIFEST,
	  EINVAL, "does not match the declared type" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[]}", "application/vnd.docker.distribution.manifest.v1+prettyjws",
	  ENOTSUP, "unsupported manifest media type" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example+json\"," CFG ",\"layers\":[]}", NULL, ENOTSUP,
	  "unsupported manifest media type \"application/vnd.example+json\"" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[],\"manifests\":[]}", BERTH_MT_OCI_MANIFEST, EINVAL,
	  "\"manifests\": not allowed" },
	{ "{\"schemaVersion\":2," CFG ",\"manifests\":[]}", BERTH_MT_OCI_INDEX, EINVAL, "\"config\": not allowed" },
	{ "{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", NULL, EINVAL, "\"layers\": not allowed" },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D2 "\",\"size\":1,"
	  "\"platform\":{\"os\":\"linux\"}}]}",
	  NULL, EINVAL, "\"manifests[0].platform.architecture\": missing" },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D2 "\",\"size\":1,"
	  "\"platform\":[]}]}",
	  NULL, EINVAL, "\"manifests[0].platform\": not an object" },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D2 "\",\"size\":1,"
	  "\"annotations\":{\"org.opencontainers.image.ref.name\":1}}]}",
	  NULL, EINVAL, "ref.name\"\": not a string" },
	/* duplicate keys could make two parsers disagree on what the manifest says */
	{ "{\"schemaVersion\":2," CFG "," CFG ",\"layers\":[]}", NULL, EINVAL, "duplicate" },
};

static void test_bad_manifests(void)
{
	_cleanup_free_ char *big = NULL;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_manifest m = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = parse(bad[i].doc, bad[i].media_type, &m, &err);

		tap_ok(r == -bad[i].code && err.msg && strstr(err.msg, bad[i].msg_part), "bad manifest %zu: want '%s', got '%s'",
		       i, bad[i].msg_part, r < 0 ? err.msg : "success");
		if (r >= 0)
			berth_manifest_release(&m);
	}
	big = berth_xmalloc(BERTH_MANIFEST_MAX_SIZE + 2);
	memset(big, ' ', BERTH_MANIFEST_MAX_SIZE + 1);
	big[0] = '{';
	big[BERTH_MANIFEST_MAX_SIZE] = '}';
	TAP_OK(berth_manifest_parse(big, BERTH_MANIFEST_MAX_SIZE + 1, NULL, &m, &err) == -EFBIG);
}

static const char *select_digest(const struct berth_manifest *idx, const char *platform)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int i = berth_manifest_select_platform(idx, platform, &err);

	return i >= 0 ? idx->manifests[i].digest : NULL;
}

static void test_select_platform(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_manifest m = { 0 };
	const char *d;

	TAP_OK(parse(oci_index, NULL, &m, &err) == 0);
	d = select_digest(&m, NULL);
#if defined(__x86_64__)
	TAP_OK(d && strcmp(d, D1) == 0);
#endif
	TAP_OK((d = select_digest(&m, "linux/amd64")) && strcmp(d, D1) == 0);
	TAP_OK((d = select_digest(&m, "linux/x86_64")) && strcmp(d, D1) == 0);
	TAP_OK((d = select_digest(&m, "amd64")) && strcmp(d, D1) == 0);
	TAP_OK((d = select_digest(&m, "linux/amd64/v3")) && strcmp(d, D1) == 0);
	TAP_OK((d = select_digest(&m, "linux/arm64")) && strcmp(d, D2) == 0);
	TAP_OK((d = select_digest(&m, "linux/arm64/v8")) && strcmp(d, D2) == 0);
	TAP_OK((d = select_digest(&m, "linux/aarch64")) && strcmp(d, D2) == 0);
	TAP_OK((d = select_digest(&m, "LINUX/ARM64")) && strcmp(d, D2) == 0);
	TAP_OK((d = select_digest(&m, "linux/arm")) && strcmp(d, D3) == 0);
	TAP_OK((d = select_digest(&m, "linux/arm/v7")) && strcmp(d, D3) == 0);
	TAP_OK((d = select_digest(&m, "linux/armhf")) && strcmp(d, D3) == 0);
	TAP_OK((d = select_digest(&m, "linux/arm/v6")) && strcmp(d, D4) == 0);
	TAP_OK((d = select_digest(&m, "linux/armel")) && strcmp(d, D4) == 0);
	TAP_OK((d = select_digest(&m, "windows/amd64")) && strcmp(d, D6) == 0);
	TAP_OK(select_digest(&m, "linux/arm/v5") == NULL);
	TAP_OK(berth_manifest_select_platform(&m, "linux/s390x", &err) == -ENOENT);
	TAP_OK(strstr(err.msg, "\"linux/s390x\"") && strstr(err.msg, "linux/arm64/v8") && strstr(err.msg, "linux/amd64"));
	TAP_OK(berth_manifest_select_platform(&m, "linux/", &err) == -EINVAL);
	TAP_OK(berth_manifest_select_platform(&m, "a/b/c/d", &err) == -EINVAL);
	berth_manifest_release(&m);

	/* an arm64 entry without a variant matches arm64/v8 and the other way round */
	TAP_OK(parse("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D1
		     "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}",
		     NULL, &m, &err) == 0);
	TAP_OK((d = select_digest(&m, "linux/arm64/v8")) && strcmp(d, D1) == 0);
	TAP_OK(select_digest(&m, "linux/arm64/v9") == NULL);
	berth_manifest_release(&m);

	/* 64-bit arm runs 32-bit arm; amd64 runs 386 (containerd's platform vectors) */
	TAP_OK(parse("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D1
		     "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
		     "{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D2
		     "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"386\"}},"
		     "{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D3
		     "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v2\"}}]}",
		     NULL, &m, &err) == 0);
	TAP_OK((d = select_digest(&m, "linux/arm64")) && strcmp(d, D1) == 0);
	TAP_OK((d = select_digest(&m, "linux/amd64")) && strcmp(d, D2) == 0);
	TAP_OK((d = select_digest(&m, "linux/amd64/v2")) && strcmp(d, D3) == 0);
	TAP_OK((d = select_digest(&m, "linux/amd64/v4")) && strcmp(d, D3) == 0);
	berth_manifest_release(&m);

	/* entries without a platform run anywhere */
	TAP_OK(parse("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"digest\":\"" D1
		     "\",\"size\":1}]}",
		     NULL, &m, &err) == 0);
	TAP_OK((d = select_digest(&m, "linux/riscv64")) && strcmp(d, D1) == 0);
	berth_manifest_release(&m);
}

static void test_config(void)
{
	static const char cfg[] = "{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\","
				  "\"created\":\"2024-01-02T03:04:05.123Z\",\"config\":{\"Cmd\":[\"sh\"]},"
				  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_config c = { 0 };

	TAP_OK(berth_image_config_parse(cfg, strlen(cfg), &c, &err) == 0);
	TAP_OK(strcmp(c.os, "linux") == 0 && strcmp(c.architecture, "arm64") == 0 && strcmp(c.variant, "v8") == 0);
	TAP_OK(strcmp(c.created, "2024-01-02T03:04:05.123Z") == 0);
	TAP_OK(c.n_diff_ids == 2 && strcmp(c.diff_ids[1], D2) == 0 && c.diff_ids[2] == NULL);
	TAP_OK(json_is_array(json_object_get(json_object_get(c.json, "config"), "Cmd")));
	berth_image_config_release(&c);

#define CFG_BAD(doc, part)                                                                      \
	do {                                                                                    \
		int r_ = berth_image_config_parse(doc, strlen(doc), &c, &err);                  \
		tap_ok(r_ == -EINVAL && strstr(err.msg, part), "config refused: %s (%s)", part, \
		       r_ < 0 ? err.msg : "accepted");                                          \
	} while (0)
	CFG_BAD("{\"os\":\"linux\"}", "\"rootfs\": missing");
	CFG_BAD("{\"rootfs\":{\"type\":\"tar\",\"diff_ids\":[]}}", "\"rootfs.type\": \"tar\" is not \"layers\"");
	CFG_BAD("{\"rootfs\":{\"diff_ids\":[]}}", "\"rootfs.type\": missing");
	CFG_BAD("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"sha256:x\"]}}",
		"\"rootfs.diff_ids[1]\": invalid digest \"sha256:x\"");
	CFG_BAD("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[1]}}", "\"rootfs.diff_ids[0]\": not a string");
	CFG_BAD("{\"os\":5,\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "\"os\": not a string");
	CFG_BAD("[1]", "not a JSON object");
}

static void test_serialize(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_manifest m = { 0 }, m2 = { 0 };
	_cleanup_free_ char *s = NULL, *s2 = NULL;

	/* docker's and OCI's canonical forms round-trip byte for byte: digests stay the same */
	TAP_OK(parse(docker_manifest, NULL, &m, &err) == 0);
	s = berth_manifest_serialize(&m);
	tap_ok(strcmp(s, docker_manifest) == 0, "docker manifest round-trips: %s", s);
	berth_manifest_release(&m);
	free(s);
	TAP_OK(parse(oci_manifest, NULL, &m, &err) == 0);
	s = berth_manifest_serialize(&m);
	tap_ok(strcmp(s, oci_manifest) == 0, "oci manifest round-trips: %s", s);
	berth_manifest_release(&m);

	/* one made from scratch: keys in order schemaVersion, mediaType, config, layers */
	m.kind = BERTH_MANIFEST_IMAGE;
	m.media_type = berth_xstrdup(BERTH_MT_OCI_MANIFEST);
	m.config = (struct berth_descriptor){ .media_type = berth_xstrdup(BERTH_MT_OCI_CONFIG),
					      .digest = berth_xstrdup(D1), .size = 5 };
	m.layers = berth_xcalloc(1, sizeof(*m.layers));
	m.n_layers = 1;
	m.layers[0] = (struct berth_descriptor){ .media_type = berth_xstrdup(BERTH_MT_OCI_LAYER),
						 .digest = berth_xstrdup(D2), .size = 6 };
	s2 = berth_manifest_serialize(&m);
	TAP_OK(strcmp(s2, "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" BERTH_MT_OCI_CONFIG
			  "\",\"digest\":\"" D1 "\",\"size\":5},\"layers\":[{\"mediaType\":\"" BERTH_MT_OCI_LAYER
			  "\",\"digest\":\"" D2 "\",\"size\":6}]}") == 0);
	TAP_OK(parse(s2, NULL, &m2, &err) == 0 && m2.n_layers == 1 && m2.layers[0].size == 6);
	berth_manifest_release(&m2);
	berth_manifest_release(&m);
}

static void test_layer_types(void)
{
	TAP_OK(berth_layer_media_type_supported(BERTH_MT_OCI_LAYER));
	TAP_OK(berth_layer_media_type_supported(BERTH_MT_OCI_LAYER_GZIP));
	TAP_OK(berth_layer_media_type_supported(BERTH_MT_OCI_LAYER_ZSTD));
	TAP_OK(berth_layer_media_type_supported(BERTH_MT_DOCKER_LAYER));
	TAP_OK(berth_layer_media_type_supported(BERTH_MT_DOCKER_LAYER_GZIP));
	TAP_OK(!berth_layer_media_type_supported("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"));
	TAP_OK(!berth_layer_media_type_supported("application/vnd.in-toto+json"));
	TAP_OK(!berth_layer_media_type_supported(NULL));
}

/* Mangled documents (bytes flipped, cut short) are refused or parsed into valid digests; never a crash. */
static void test_mutations(void)
{
	const char *const docs[] = { docker_manifest, oci_manifest, oci_index };
	unsigned seed = 12345;
	size_t accepted = 0, refused = 0;
	bool all_valid = true;

	for (size_t d = 0; d < ARRAY_SIZE(docs); d++) {
		size_t len = strlen(docs[d]);

		for (int round = 0; round < 3000; round++) {
			_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
			_cleanup_free_ char *buf = berth_xstrdup(docs[d]);
			struct berth_manifest m = { 0 };
			size_t n = len;

			seed = seed * 1103515245 + 12345;
			if (round % 3 == 0) {
				n = (seed >> 8) % len;
			} else {
				for (int k = 0; k < 1 + round % 4; k++) {
					seed = seed * 1103515245 + 12345;
					buf[(seed >> 8) % len] = (char)(seed >> 20);
				}
			}
			if (berth_manifest_parse(buf, n, NULL, &m, &err) < 0) {
				refused++;
				all_valid = all_valid && err.msg != NULL;
				continue;
			}
			accepted++;
			all_valid = all_valid && (m.kind != BERTH_MANIFEST_IMAGE || berth_digest_is_valid(m.config.digest));
			for (size_t i = 0; i < m.n_layers; i++)
				all_valid = all_valid && berth_digest_is_valid(m.layers[i].digest) && m.layers[i].size >= 0;
			for (size_t i = 0; i < m.n_manifests; i++)
				all_valid = all_valid && berth_digest_is_valid(m.manifests[i].digest);
			berth_manifest_release(&m);
		}
	}
	tap_ok(all_valid && refused > 0, "mutated manifests: %zu accepted, %zu refused, all sound", accepted, refused);
}

int main(void)
{
	test_parse_manifests();
	test_parse_index();
	test_bad_manifests();
	test_select_platform();
	test_config();
	test_serialize();
	test_layer_types();
	test_mutations();
	return tap_done();
}
