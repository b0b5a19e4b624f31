/* The pure parts of ps/stats/logs/prune: time values, CPU %, label filters, status words. */
#include <stdlib.h>
#include <string.h>

#include "engine/container-info.h"
#include "engine/logs.h"
#include "tap.h"
#include "util/cleanup.h"

static void test_parse_since(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int64_t now = 1700000000LL * 1000000000LL, t = 0;

	TAP_OK(berth_parse_since("1700000000", now, &t, &err) == 0 && t == 1700000000LL * 1000000000LL);
	/* nanoseconds survive: a double would round them */
	TAP_OK(berth_parse_since("1795434567.123456789", now, &t, &err) == 0 && t == 1795434567123456789LL);
	TAP_OK(berth_parse_since("1.5", now, &t, &err) == 0 && t == 1500000000LL);
	TAP_OK(berth_parse_since("2023-11-14T22:13:20Z", now, &t, &err) == 0 && t == 1700000000LL * 1000000000LL);
	TAP_OK(berth_parse_since("2023-11-14T22:13:20.5Z", now, &t, &err) == 0 && t == 1700000000500000000LL);
	TAP_OK(berth_parse_since("10m", now, &t, &err) == 0 && t == now - 600LL * 1000000000LL);
	TAP_OK(berth_parse_since("1h30m", now, &t, &err) == 0 && t == now - 5400LL * 1000000000LL);
	TAP_OK(berth_parse_since("250ms", now, &t, &err) == 0 && t == now - 250000000LL);
	TAP_OK(berth_parse_since("soon", now, &t, &err) < 0 && err.code == EINVAL);
	berth_error_release(&err);
	TAP_OK(berth_parse_since("1.2.3", now, &t, &err) < 0);
}

static void test_cpu_percent(void)
{
	struct berth_ctr_stats a = { .cpu_total_ns = 1000, .system_ns = 10000, .online_cpus = 2 };
	struct berth_ctr_stats b = { .cpu_total_ns = 6000, .system_ns = 20000, .online_cpus = 2 };

	/* docker: (cpu delta / system delta) * CPUs * 100 */
	TAP_OK(berth_ctr_stats_cpu_percent(&a, &b) == 100.0);
	b.cpu_total_ns = 1000;
	TAP_OK(berth_ctr_stats_cpu_percent(&a, &b) == 0.0);
	/* no time passed on the host, or counters going back: 0, not a division by zero */
	b.system_ns = a.system_ns;
	TAP_OK(berth_ctr_stats_cpu_percent(&a, &b) == 0.0);
	TAP_OK(berth_ctr_stats_cpu_percent(&b, &a) == 0.0);
	TAP_OK(berth_ctr_stats_cpu_percent(NULL, &a) == 0.0);
}

static void test_labels(void)
{
	struct berth_ctr c = { .config = json_pack("{s{s{ss ss}}}", "Config", "Labels", "tier", "web", "empty", "") };
	char *tier[] = { "tier", NULL }, *tier_web[] = { "tier=web", NULL }, *tier_db[] = { "tier=db", NULL };
	char *both[] = { "tier=web", "empty", NULL }, *empty_eq[] = { "empty=", NULL }, *nosuch[] = { "nosuch", NULL };

	TAP_OK(berth_ctr_labels_match(&c, NULL, NULL));
	TAP_OK(berth_ctr_labels_match(&c, tier, NULL));
	TAP_OK(berth_ctr_labels_match(&c, tier_web, NULL));
	TAP_OK(!berth_ctr_labels_match(&c, tier_db, NULL));
	/* several label filters: all of them */
	TAP_OK(berth_ctr_labels_match(&c, both, NULL));
	TAP_OK(berth_ctr_labels_match(&c, empty_eq, NULL));
	TAP_OK(!berth_ctr_labels_match(&c, nosuch, NULL));
	/* label!=: none of them */
	TAP_OK(!berth_ctr_labels_match(&c, NULL, tier));
	TAP_OK(berth_ctr_labels_match(&c, NULL, tier_db));
	TAP_OK(berth_ctr_labels_match(&c, tier, nosuch));
	json_decref(c.config);
	c.config = json_object();
	TAP_OK(!berth_ctr_labels_match(&c, tier, NULL) && berth_ctr_labels_match(&c, NULL, tier));
	json_decref(c.config);
}

static void test_status_words(void)
{
	int64_t s = 1000000000LL;
	struct berth_ctr c = { .state = BERTH_CTR_RUNNING, .started_at = 100 * s };
	char *w;

	w = berth_ctr_status_string(&c, 103 * s);
	TAP_OK(strcmp(w, "Up 3 seconds") == 0);
	free(w);
	c.state = BERTH_CTR_PAUSED;
	w = berth_ctr_status_string(&c, 100 * s + 5);
	TAP_OK(strcmp(w, "Up Less than a second (Paused)") == 0);
	free(w);
	c = (struct berth_ctr){ .state = BERTH_CTR_EXITED, .exit_code = 137, .finished_at = 100 * s };
	w = berth_ctr_status_string(&c, 100 * s + 2 * 3600 * s);
	TAP_OK(strcmp(w, "Exited (137) 2 hours ago") == 0);
	free(w);
	c.state = BERTH_CTR_CREATED;
	w = berth_ctr_status_string(&c, 0);
	TAP_OK(strcmp(w, "Created") == 0);
	free(w);
}

int main(void)
{
	test_parse_since();
	test_cpu_percent();
	test_labels();
	test_status_words();
	return tap_done();
}
