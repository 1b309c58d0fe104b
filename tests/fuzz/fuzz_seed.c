/* fuzz_seed.c - a seed corpus for fuzz_ingest from a swi-gen replay file.
 *
 *   fuzz_seed REPLAY_FILE OUT_DIR [PER_KIND]
 *
 * Reads the replay file (format: tools/gen/encoder.h) and writes, for each
 * (topic, first five bytes of the value: magic and schema id) seen, up to
 * PER_KIND (default 3) messages as files OUT_DIR/seed-NNNNN in fuzz_ingest's
 * input format: one byte for the topic (0 ind, 1 coa, 2 duo, 3 gemeente),
 * then the message value. swi-gen's --bad messages give seeds of every reject
 * reason. Prints the number of seeds written. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_u32(FILE *f, uint32_t *v)
{
        uint8_t b[4];
        if (fread(b, 1, 4, f) != 4)
                return -1;
        *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        return 0;
}

int main(int argc, char **argv)
{
        static const char *const topics[4] = {"ind.events", "coa.events", "duo.events",
                                              "gemeente.events"};
        struct kind {
                uint8_t src, head[5];
                size_t hlen;
                int n;
        } *kinds = NULL;
        size_t nkinds = 0;
        int per = argc > 3 ? atoi(argv[3]) : 3, written = 0;
        FILE *f;

        if (argc < 3 || per < 1) {
                fprintf(stderr, "usage: fuzz_seed REPLAY_FILE OUT_DIR [PER_KIND]\n");
                return 2;
        }
        f = fopen(argv[1], "rb");
        if (f == NULL) {
                fprintf(stderr, "fuzz_seed: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        for (;;) {
                char topic[64];
                size_t tl = 0;
                int c;
                uint32_t klen, vlen;
                while ((c = fgetc(f)) != EOF && c != 0 && tl + 1 < sizeof(topic))
                        topic[tl++] = (char)c;
                if (c == EOF)
                        break;
                topic[tl] = '\0';
                if (read_u32(f, &klen) != 0 || fseek(f, (long)klen, SEEK_CUR) != 0 ||
                    read_u32(f, &vlen) != 0)
                        break;
                uint8_t *val = malloc(vlen + 1u);
                if (val == NULL || fread(val + 1, 1, vlen, f) != vlen) {
                        free(val);
                        break;
                }
                uint8_t src = 0;
                for (uint8_t s = 0; s < 4; s++)
                        if (strcmp(topic, topics[s]) == 0)
                                src = s;
                val[0] = src;
                size_t hlen = vlen < 5 ? vlen : 5, k;
                for (k = 0; k < nkinds; k++)
                        if (kinds[k].src == src && kinds[k].hlen == hlen &&
                            memcmp(kinds[k].head, val + 1, hlen) == 0)
                                break;
                if (k == nkinds) {
                        struct kind *v = realloc(kinds, (nkinds + 1) * sizeof(*kinds));
                        if (v == NULL) {
                                free(val);
                                break;
                        }
                        kinds = v;
                        memset(&kinds[k], 0, sizeof(kinds[k]));
                        kinds[k].src = src;
                        kinds[k].hlen = hlen;
                        memcpy(kinds[k].head, val + 1, hlen);
                        nkinds++;
                }
                if (kinds[k].n++ < per) {
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/seed-%05d", argv[2], written);
                        FILE *o = fopen(path, "wb");
                        if (o == NULL || fwrite(val, 1, vlen + 1u, o) != vlen + 1u) {
                                fprintf(stderr, "fuzz_seed: %s: %s\n", path, strerror(errno));
                                free(val);
                                return 1;
                        }
                        fclose(o);
                        written++;
                }
                free(val);
        }
        fclose(f);
        free(kinds);
        printf("fuzz_seed: %d seeds of %zu kinds\n", written, nkinds);
        return written > 0 ? 0 : 1;
}
