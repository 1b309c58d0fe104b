/* fuzz_replay.c - runs files through fuzz_ingest.c's LLVMFuzzerTestOneInput
 * without libFuzzer, so that every build (gcc, the ASan build) replays the
 * inputs the fuzzer found (tests/fuzz/regressions/) or any corpus.
 *
 *   fuzz_replay FILE|DIR...    each FILE, and every regular file in each DIR
 *
 * Exits 0 when every input ran (a failed check aborts, as under libFuzzer),
 * 1 on an unreadable argument or none at all. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void swi_fuzz_cleanup(void);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf = NULL;
        size_t n = 0, cap = 0;

        if (f == NULL) {
                fprintf(stderr, "fuzz_replay: %s: cannot open\n", path);
                return -1;
        }
        for (;;) {
                if (n == cap) {
                        cap = cap ? 2 * cap : 4096;
                        uint8_t *b = realloc(buf, cap);
                        if (b == NULL) {
                                fclose(f);
                                free(buf);
                                return -1;
                        }
                        buf = b;
                }
                size_t got = fread(buf + n, 1, cap - n, f);
                n += got;
                if (got == 0)
                        break;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
        int ran = 0, bad = 0;

        LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) != 0) {
                        fprintf(stderr, "fuzz_replay: %s: not found\n", argv[i]);
                        bad++;
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        bad += run_file(argv[i]) != 0;
                        ran++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                struct dirent *e;
                char **names = NULL;
                size_t nn = 0;
                while (d != NULL && (e = readdir(d)) != NULL) {
                        if (e->d_name[0] == '.')
                                continue;
                        char **v = realloc(names, (nn + 1) * sizeof(*names));
                        if (v == NULL)
                                break;
                        names = v;
                        size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
                        names[nn] = malloc(len);
                        if (names[nn] == NULL)
                                break;
                        snprintf(names[nn++], len, "%s/%s", argv[i], e->d_name);
                }
                if (d != NULL)
                        closedir(d);
                qsort(names, nn, sizeof(*names), cmp_str);
                for (size_t k = 0; k < nn; k++) {
                        if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
                                bad += run_file(names[k]) != 0;
                                ran++;
                        }
                        free(names[k]);
                }
                free(names);
        }
        swi_fuzz_cleanup();
        printf("fuzz_replay: %d inputs, %d unreadable\n", ran, bad);
        return ran > 0 && bad == 0 ? 0 : 1;
}
