#include "transfers.h"

#include <errno.h>

#define DEFAULT_CONCURRENT 3
#define MAX_THREADS 16

static bool take_next(struct reg_transfers *t, size_t *ret)
{
	bool found = false;

	pthread_mutex_lock(&t->lock);
	while (t->next < t->n && !found) {
		size_t i = t->next++;
		if (!t->wanted || t->wanted(t->opaque, i)) {
			*ret = i;
			found = true;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

static void *worker(void *arg)
{
	struct reg_transfers *t = arg;
	size_t i;

	while (!atomic_load(&t->failed) && take_next(t, &i)) {
		struct berth_error err = BERTH_ERROR_INIT;
		int r = t->run(t->opaque, i, &err);

		if (r < 0) {
			pthread_mutex_lock(&t->lock);
			/* the first failure is the story; the transfers it cancels are not */
			if (!t->first_r || (t->first_r == -ECANCELED && r != -ECANCELED)) {
				berth_error_release(&t->first_err);
				t->first_err = err;
				t->first_r = r;
				err = (struct berth_error)BERTH_ERROR_INIT;
			}
			pthread_mutex_unlock(&t->lock);
			atomic_store(&t->failed, true);
			reg_client_cancel(t->client);
		}
		berth_error_release(&err);
	}
	return NULL;
}

int reg_transfers_run(struct reg_transfers *t, unsigned max, struct berth_error *err)
{
	pthread_t threads[MAX_THREADS];
	size_t n_threads = 0, want = 0;
	int r = 0;

	pthread_mutex_init(&t->lock, NULL);
	atomic_init(&t->failed, false);
	t->next = 0;
	t->first_err = (struct berth_error)BERTH_ERROR_INIT;
	t->first_r = 0;
	for (size_t i = 0; i < t->n; i++)
		want += !t->wanted || t->wanted(t->opaque, i);
	if (max == 0)
		max = DEFAULT_CONCURRENT;
	if (max > MAX_THREADS)
		max = MAX_THREADS;
	if (want > max)
		want = max;
	for (size_t i = 0; i < want; i++) {
		int e = pthread_create(&threads[n_threads], NULL, worker, t);

		if (e != 0) {
			if (n_threads > 0)
				break; /* fewer threads do it too */
			r = berth_error_set(err, e, "start the %s threads", t->what);
			goto out;
		}
		n_threads++;
	}
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	if (t->first_r < 0) {
		if (t->first_err.msg)
			berth_error_setx(err, t->first_err.code ? t->first_err.code : EIO, "%s", t->first_err.msg);
		else
			berth_error_setx(err, EIO, "%s failed", t->what);
		r = -err->code;
	}
out:
	berth_error_release(&t->first_err);
	pthread_mutex_destroy(&t->lock);
	return r;
}
