/* check_disclosure.c - Check suite for transform/disclosure (indicators.md §6).
 *
 * Every expected value below was worked out by hand from the spec and is
 * explained in the comment next to it; none was produced by the code. Unless
 * a test says otherwise: B = 5, T = 10. In the 2-D tables, rows are dimension
 * 0 and columns dimension 1; `*` is the margin. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "transform/disclosure.h"

#define M SWI_DC_MARGIN

static const swi_dc_params_t P_DEFAULT = SWI_DC_PARAMS_DEFAULT;

/* ---- helpers ---------------------------------------------------------------- */

static swi_dc_table_t *new_table(int ndims, const int *ncats, int nf, int ns, const int *sn,
                                 const int *sd)
{
        char err[256] = "";
        swi_dc_table_t *t = swi_dc_table_new(ndims, ncats, nf, ns, sn, sd, err, sizeof(err));

        ck_assert_msg(t != NULL, "swi_dc_table_new: %s", err);
        return t;
}

static void apply(swi_dc_table_t *t, int64_t base, int64_t threshold)
{
        swi_dc_params_t p = {base, threshold};
        char err[256] = "";

        ck_assert_msg(swi_dc_apply(t, &p, err, sizeof(err)) == SWI_OK, "apply: %s", err);
}

/* 1-D: set / get at category c (or M). */
static void set1(swi_dc_table_t *t, int c, int field, int64_t v)
{
        int coord[1] = {c};

        ck_assert_int_eq(swi_dc_set_count(t, coord, field, v), SWI_OK);
}

static swi_dc_value_t count1(const swi_dc_table_t *t, int c, int field)
{
        int coord[1] = {c};
        swi_dc_value_t v;

        ck_assert_int_eq(swi_dc_get_count(t, coord, field, &v), SWI_OK);
        return v;
}

static swi_dc_value_t share1(const swi_dc_table_t *t, int c, int share)
{
        int coord[1] = {c};
        swi_dc_value_t v;

        ck_assert_int_eq(swi_dc_get_share(t, coord, share, &v), SWI_OK);
        return v;
}

/* 2-D: set a full (nr+1) x (nc+1) grid, row-major, the last row and column
 * being the margins. */
static void set_grid(swi_dc_table_t *t, int nr, int nc, int field, const int64_t *grid)
{
        int r, c, coord[2];

        for (r = 0; r <= nr; r++) {
                for (c = 0; c <= nc; c++) {
                        coord[0] = r == nr ? M : r;
                        coord[1] = c == nc ? M : c;
                        ck_assert_int_eq(swi_dc_set_count(t, coord, field, grid[r * (nc + 1) + c]),
                                         SWI_OK);
                }
        }
}

static swi_dc_value_t count2(const swi_dc_table_t *t, int r, int c, int field)
{
        int coord[2] = {r, c};
        swi_dc_value_t v;

        ck_assert_int_eq(swi_dc_get_count(t, coord, field, &v), SWI_OK);
        return v;
}

#define ck_published(v, expected)                                                                  \
        do {                                                                                       \
                swi_dc_value_t v_ = (v);                                                           \
                ck_assert_msg(!v_.suppressed, "expected %lld, got suppressed (reasons 0x%x)",      \
                              (long long)(expected), v_.reasons);                                  \
                ck_assert_int_eq(v_.reasons, 0);                                                   \
                ck_assert_int_eq(v_.value, (expected));                                            \
        } while (0)

#define ck_suppressed(v, expected_reasons)                                                         \
        do {                                                                                       \
                swi_dc_value_t v_ = (v);                                                           \
                ck_assert_msg(v_.suppressed, "expected suppressed, got %lld",                      \
                              (long long)v_.value);                                                \
                ck_assert_int_eq(v_.reasons, (expected_reasons));                                  \
                ck_assert_int_eq(v_.value, 0);                                                     \
        } while (0)

/* ---- rounding helper ------------------------------------------------------------ */

START_TEST(test_disclosure_round_half_away)
{
        /* 7/5 = 1.4 -> 1; 8/5 = 1.6 -> 2 */
        ck_assert_int_eq(swi_round_half_away(7, 5, 0), 1);
        ck_assert_int_eq(swi_round_half_away(8, 5, 0), 2);
        /* exact halves go away from zero: 2.5 -> 3, 1.5 -> 2, 0.5 -> 1, -2.5 -> -3 */
        ck_assert_int_eq(swi_round_half_away(25, 10, 0), 3);
        ck_assert_int_eq(swi_round_half_away(15, 10, 0), 2);
        ck_assert_int_eq(swi_round_half_away(5, 10, 0), 1);
        ck_assert_int_eq(swi_round_half_away(-25, 10, 0), -3);
        ck_assert_int_eq(swi_round_half_away(25, -10, 0), -3);
        /* just below a half: 2.4 -> 2, -2.4 -> -2 */
        ck_assert_int_eq(swi_round_half_away(24, 10, 0), 2);
        ck_assert_int_eq(swi_round_half_away(-24, 10, 0), -2);
        ck_assert_int_eq(swi_round_half_away(0, 7, 0), 0);
        /* decimals: 12.25 with one decimal is 122.5 tenths -> 123 ("12.3");
         * 1/8 = 0.125 with two decimals is 12.5 hundredths -> 13 */
        ck_assert_int_eq(swi_round_half_away(1225, 100, 1), 123);
        ck_assert_int_eq(swi_round_half_away(-1225, 100, 1), -123);
        ck_assert_int_eq(swi_round_half_away(1, 8, 2), 13);
        /* 49/400 = 12.25% exactly: 100*49/400 in tenths = 4900*10/400 = 122.5 -> 123.
         * (In doubles 49.0/400*1000 is 122.49999..., which would give 12.2.) */
        ck_assert_int_eq(swi_round_half_away(100 * 49, 400, 1), 123);
        /* 2/3 = 0.666.. -> 0.7 (7 tenths); 1/3 -> 0.3 */
        ck_assert_int_eq(swi_round_half_away(2, 3, 1), 7);
        ck_assert_int_eq(swi_round_half_away(1, 3, 1), 3);
        /* large values stay exact: (10^15 + 5) / 10 = 10^14 + 0.5 -> 10^14 + 1 */
        ck_assert_int_eq(swi_round_half_away(1000000000000005LL, 10, 0), 100000000000001LL);
}
END_TEST

START_TEST(test_disclosure_format_fixed)
{
        char buf[32];
        char tiny[4];
        swi_dc_value_t sup = {0, true, SWI_DC_R_PRIMARY, false};
        swi_dc_value_t pub = {123, false, 0, false};

        ck_assert_int_eq(swi_format_fixed(123, 1, buf, sizeof(buf)), 4);
        ck_assert_str_eq(buf, "12.3");
        swi_format_fixed(5, 1, buf, sizeof(buf));
        ck_assert_str_eq(buf, "0.5");
        swi_format_fixed(-5, 1, buf, sizeof(buf));
        ck_assert_str_eq(buf, "-0.5");
        swi_format_fixed(1000, 1, buf, sizeof(buf));
        ck_assert_str_eq(buf, "100.0");
        swi_format_fixed(0, 1, buf, sizeof(buf));
        ck_assert_str_eq(buf, "0.0");
        swi_format_fixed(7, 0, buf, sizeof(buf));
        ck_assert_str_eq(buf, "7");
        swi_format_fixed(-1205, 2, buf, sizeof(buf));
        ck_assert_str_eq(buf, "-12.05");
        /* "100.0" needs 6 bytes */
        ck_assert_int_eq(swi_format_fixed(1000, 1, tiny, sizeof(tiny)), -1);
        ck_assert_str_eq(tiny, "");
        ck_assert_int_eq(swi_dc_format_share(&pub, buf, sizeof(buf)), 4);
        ck_assert_str_eq(buf, "12.3");
        ck_assert_int_eq(swi_dc_format_share(&sup, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- counts ------------------------------------------------------------------------ */

START_TEST(test_disclosure_count_rounding_base5)
{
        /* T = 1 switches primary suppression off (1 <= n < 1 is empty), so only
         * rounding to B = 5 is seen: 7 -> 5 (1.4), 8 -> 10 (1.6), 2 -> 0 (0.4),
         * 3 -> 5 (0.6), 12 -> 10, 13 -> 15, 0 -> 0; margin 45 -> 45. */
        static const int64_t v[] = {7, 8, 2, 3, 12, 13, 0};
        static const int64_t want[] = {5, 10, 0, 5, 10, 15, 0};
        int ncats[1] = {7};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);
        int i;

        for (i = 0; i < 7; i++)
                set1(t, i, 0, v[i]);
        set1(t, M, 0, 45);
        apply(t, 5, 1);
        for (i = 0; i < 7; i++)
                ck_published(count1(t, i, 0), want[i]);
        ck_published(count1(t, M, 0), 45);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_count_rounding_halves)
{
        /* B = 10, T = 1: the halves 2.5*B = 25 -> 30, 15 -> 20, 35 -> 40, 5 -> 10
         * go away from zero; 24 -> 20, 26 -> 30. Margin 130 -> 130. */
        static const int64_t v[] = {25, 15, 35, 5, 24, 26};
        static const int64_t want[] = {30, 20, 40, 10, 20, 30};
        int ncats[1] = {6};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);
        int i;

        for (i = 0; i < 6; i++)
                set1(t, i, 0, v[i]);
        set1(t, M, 0, 130);
        apply(t, 10, 1);
        for (i = 0; i < 6; i++)
                ck_published(count1(t, i, 0), want[i]);
        ck_published(count1(t, M, 0), 130);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_count_base100)
{
        /* DUO practice: B = 100, T = 10.
         * 3 and 9 are suppressed (two in the group, so nothing more);
         * 10 -> 0 (0.1; published, a published 0 is not a suppression),
         * 49 -> 0, 50 -> 100 (half up), 149 -> 100, 150 -> 200, 1234 -> 1200,
         * 1250 -> 1300. Margin 2904 -> 2900 (29.04). */
        static const int64_t v[] = {3, 9, 10, 49, 50, 149, 150, 1234, 1250};
        int ncats[1] = {9};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);
        int i;

        for (i = 0; i < 9; i++)
                set1(t, i, 0, v[i]);
        set1(t, M, 0, 2904);
        apply(t, 100, 10);
        ck_suppressed(count1(t, 0, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count1(t, 1, 0), SWI_DC_R_PRIMARY);
        ck_published(count1(t, 2, 0), 0);
        ck_published(count1(t, 3, 0), 0);
        ck_published(count1(t, 4, 0), 100);
        ck_published(count1(t, 5, 0), 100);
        ck_published(count1(t, 6, 0), 200);
        ck_published(count1(t, 7, 0), 1200);
        ck_published(count1(t, 8, 0), 1300);
        ck_published(count1(t, M, 0), 2900);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_suppress_below_threshold)
{
        /* Each value in a table of one category (a group of one member has no
         * other member to choose, so only the primary rule is seen).
         * 1..9 suppressed; 0 -> 0 published; 10 = T published as 10; 11 -> 10;
         * 14 -> 15 (2.8 -> 3). */
        int ncats[1] = {1};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);
        int64_t n;

        for (n = 1; n <= 9; n++) {
                set1(t, 0, 0, n);
                set1(t, M, 0, n);
                apply(t, 5, 10);
                ck_suppressed(count1(t, 0, 0), SWI_DC_R_PRIMARY);
                ck_suppressed(count1(t, M, 0), SWI_DC_R_PRIMARY);
        }
        set1(t, 0, 0, 10);
        set1(t, M, 0, 10);
        apply(t, 5, 10);
        ck_published(count1(t, 0, 0), 10);
        set1(t, 0, 0, 11);
        set1(t, M, 0, 11);
        apply(t, 5, 10);
        ck_published(count1(t, 0, 0), 10);
        set1(t, 0, 0, 14);
        set1(t, M, 0, 14);
        apply(t, 5, 10);
        ck_published(count1(t, 0, 0), 15);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_zero_stays_zero)
{
        /* [0, 0, 20], margin 20: zeros are published as 0 and are not
         * suppressions, so no group has a suppressed cell. */
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);

        set1(t, 0, 0, 0);
        set1(t, 1, 0, 0);
        set1(t, 2, 0, 20);
        set1(t, M, 0, 20);
        apply(t, 5, 10);
        ck_published(count1(t, 0, 0), 0);
        ck_published(count1(t, 1, 0), 0);
        ck_published(count1(t, 2, 0), 20);
        ck_published(count1(t, M, 0), 20);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_margin_rounded_on_its_own)
{
        /* [12, 12, 12], margin 36: cells 10 + 10 + 10 = 30, but the margin is
         * 36 -> 35 (7.2 -> 7), not the sum of the rounded cells.
         * Second field [13, 13, 0], margin 26: cells 15 + 15 = 30, margin 25. */
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 2, 0, NULL, NULL);

        set1(t, 0, 0, 12);
        set1(t, 1, 0, 12);
        set1(t, 2, 0, 12);
        set1(t, M, 0, 36);
        set1(t, 0, 1, 13);
        set1(t, 1, 1, 13);
        set1(t, M, 1, 26);
        apply(t, 5, 10);
        ck_published(count1(t, 0, 0), 10);
        ck_published(count1(t, 2, 0), 10);
        ck_published(count1(t, M, 0), 35);
        ck_published(count1(t, 0, 1), 15);
        ck_published(count1(t, 1, 1), 15);
        ck_published(count1(t, 2, 1), 0);
        ck_published(count1(t, M, 1), 25);
        swi_dc_table_destroy(t);
}
END_TEST

/* ---- secondary suppression of counts ------------------------------------------------- */

START_TEST(test_disclosure_secondary_1d)
{
        /* [3, 0, 20, 15, 15, 40], margin 93.
         * Round 1: cat0 (3) is the only suppressed cell; the other non-zero
         * cells are 20, 15, 15, 40; the smallest is 15, tied between cat3 and
         * cat4 -> cat3 (first in category order). cat1 = 0 is smaller but zeros
         * are never chosen. Round 2: two suppressed -> nothing. Margin 93 -> 95. */
        static const int64_t v[] = {3, 0, 20, 15, 15, 40};
        int ncats[1] = {6};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);
        int i;

        for (i = 0; i < 6; i++)
                set1(t, i, 0, v[i]);
        set1(t, M, 0, 93);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 0, 0), SWI_DC_R_PRIMARY);
        ck_published(count1(t, 1, 0), 0);
        ck_published(count1(t, 2, 0), 20);
        ck_suppressed(count1(t, 3, 0), SWI_DC_R_SECONDARY);
        ck_published(count1(t, 4, 0), 15);
        ck_published(count1(t, 5, 0), 40);
        ck_published(count1(t, M, 0), 95);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_secondary_tie_first_in_order)
{
        /* [12, 12, 4], margin 28: cat2 suppressed; 12 and 12 tie -> cat0. */
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);

        set1(t, 0, 0, 12);
        set1(t, 1, 0, 12);
        set1(t, 2, 0, 4);
        set1(t, M, 0, 28);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 0, 0), SWI_DC_R_SECONDARY);
        ck_published(count1(t, 1, 0), 10);
        ck_suppressed(count1(t, 2, 0), SWI_DC_R_PRIMARY);
        ck_published(count1(t, M, 0), 30);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_secondary_by_unrounded_count)
{
        /* [5, 13, 12, 50], margin 80: cat0 suppressed; smallest other is 12
         * (cat2). Then [5, 12, 11, 50], margin 78: 12 and 11 both round to 10,
         * so on rounded values cat1 would win the tie; on unrounded counts
         * 11 < 12 and cat2 is chosen. */
        int ncats[1] = {4};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);

        set1(t, 0, 0, 5);
        set1(t, 1, 0, 13);
        set1(t, 2, 0, 12);
        set1(t, 3, 0, 50);
        set1(t, M, 0, 80);
        apply(t, 5, 10);
        ck_published(count1(t, 1, 0), 15);
        ck_suppressed(count1(t, 2, 0), SWI_DC_R_SECONDARY);
        set1(t, 1, 0, 12);
        set1(t, 2, 0, 11);
        set1(t, M, 0, 78);
        apply(t, 5, 10);
        ck_published(count1(t, 1, 0), 10);
        ck_suppressed(count1(t, 2, 0), SWI_DC_R_SECONDARY);
        ck_published(count1(t, M, 0), 80); /* 78 -> 80 (15.6) */
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_two_suppressed_need_nothing_more)
{
        /* [3, 4, 50, 60], margin 117: two suppressed cells -> the group needs
         * nothing more; 50, 60 published; margin 117 -> 115 (23.4). */
        int ncats[1] = {4};
        swi_dc_table_t *t = new_table(1, ncats, 1, 0, NULL, NULL);

        set1(t, 0, 0, 3);
        set1(t, 1, 0, 4);
        set1(t, 2, 0, 50);
        set1(t, 3, 0, 60);
        set1(t, M, 0, 117);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 0, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count1(t, 1, 0), SWI_DC_R_PRIMARY);
        ck_published(count1(t, 2, 0), 50);
        ck_published(count1(t, 3, 0), 60);
        ck_published(count1(t, M, 0), 115);
        swi_dc_table_destroy(t);
}
END_TEST

/* Block A of the cascade tests (rows x columns, without margins). */
static const int64_t cascade_a[3][3] = {{5, 20, 50}, {30, 4, 60}, {40, 15, 70}};

START_TEST(test_disclosure_secondary_2d_cascade)
{
        /* Block A:
         *          c0   c1   c2 |   *
         *   r0      5   20   50 |  75
         *   r1     30    4   60 |  94
         *   r2     40   15   70 | 125
         *   *      75   39  180 | 294
         * Primary: (r0,c0)=5, (r1,c1)=4; every margin >= 10.
         * Round 1, all groups judged on {(r0,c0), (r1,c1)}:
         *   row r0: only (r0,c0) -> smallest of 20, 50 -> (r0,c1)
         *   row r1: only (r1,c1) -> smallest of 30, 60 -> (r1,c0)
         *   col c0: only (r0,c0) -> smallest of 30, 40 -> (r1,c0) (again)
         *   col c1: only (r1,c1) -> smallest of 20 (r0,c1), 15 (r2,c1) -> (r2,c1)
         *   row r2, col c2, row *, col *: nothing suppressed.
         *   Adds (r0,c1), (r1,c0), (r2,c1).
         * Round 2: row r2 now has only (r2,c1) -> smallest of 40, 70 -> (r2,c0);
         *   rows r0, r1 and cols c0, c1 have two or more. Adds (r2,c0).
         * Round 3: row r2 has two, col c0 three: nothing added; stop.
         * Had the rows' choices been applied at once (rows judged first), col
         * c1 would have seen two suppressed and only 4 cells would be
         * suppressed. Columns-first happens to give the same 6 on A, so the
         * table also holds A transposed as block B (rows r3..r5 x cols c3..c5,
         * B(3+j, 3+i) = A(i, j)), where columns-first immediate application
         * gives 4 instead of 6. The off-diagonal blocks are 0: zeros are never
         * chosen, so A and B do not interact.
         * Published in A: column c2 50, 60, 70; margins r0 75, r1 94 -> 95,
         * r2 125, c0 75, c1 39 -> 40, c2 180; total 588 -> 590 (117.6). */
        int ncats[2] = {6, 6};
        swi_dc_table_t *t = new_table(2, ncats, 1, 0, NULL, NULL);
        int64_t g[7 * 7];
        int i, j;

        memset(g, 0, sizeof(g));
        for (i = 0; i < 3; i++) {
                for (j = 0; j < 3; j++) {
                        g[i * 7 + j] = cascade_a[i][j];
                        g[(3 + j) * 7 + (3 + i)] = cascade_a[i][j];
                }
        }
        /* margins: row sums in column 6, column sums in row 6 */
        for (i = 0; i < 6; i++) {
                for (j = 0; j < 6; j++) {
                        g[i * 7 + 6] += g[i * 7 + j];
                        g[6 * 7 + j] += g[i * 7 + j];
                        g[6 * 7 + 6] += g[i * 7 + j];
                }
        }
        set_grid(t, 6, 6, 0, g);
        apply(t, 5, 10);
        for (i = 0; i < 3; i++) {
                for (j = 0; j < 3; j++) {
                        swi_dc_value_t va = count2(t, i, j, 0);
                        swi_dc_value_t vb = count2(t, 3 + j, 3 + i, 0);
                        unsigned want;

                        if ((i == 0 && j == 0) || (i == 1 && j == 1))
                                want = SWI_DC_R_PRIMARY;
                        else if (j == 2)
                                want = 0;
                        else
                                want = SWI_DC_R_SECONDARY; /* (0,1) (1,0) (2,0) (2,1) */
                        ck_assert_msg(va.reasons == want && vb.reasons == want,
                                      "A(%d,%d) reasons 0x%x, B reasons 0x%x, want 0x%x", i, j,
                                      va.reasons, vb.reasons, want);
                }
        }
        ck_published(count2(t, 0, 2, 0), 50);
        ck_published(count2(t, 1, 2, 0), 60);
        ck_published(count2(t, 2, 2, 0), 70);
        ck_published(count2(t, 5, 3, 0), 50);
        ck_published(count2(t, 0, M, 0), 75);
        ck_published(count2(t, 1, M, 0), 95);
        ck_published(count2(t, 2, M, 0), 125);
        ck_published(count2(t, M, 0, 0), 75);
        ck_published(count2(t, M, 1, 0), 40);
        ck_published(count2(t, M, 2, 0), 180);
        ck_published(count2(t, M, 4, 0), 95);
        ck_published(count2(t, M, M, 0), 590);
        ck_published(count2(t, 0, 4, 0), 0);
        swi_dc_table_destroy(t);
}
END_TEST

/* §6 settled point: a group with exactly one suppressed member and no other
 * non-zero published member gives up its margin, which then counts as a
 * suppressed member along the other dimensions. (Before: the margin stayed
 * published and (r1,c1) = (r1,*) - (r1,c0) = 30 - 0 was recoverable.) */
START_TEST(test_disclosure_margin_suppressed_when_no_candidate)
{
        /*          c0   c1 |  *
         *   r0      3   20 | 23
         *   r1      0   30 | 30
         *   *       3   50 | 53
         * Primary: (r0,c0)=3 and the margin (*,c0)=3.
         * Round 1: row r0: only (r0,c0) -> (r0,c1)=20. Row *: only (*,c0) ->
         *   (*,c1)=50. Col c0: only (r0,c0), the other member is 0 -> its
         *   margin (*,c0), already suppressed. Adds (r0,c1), (*,c1).
         * Round 2: col c1: only (r0,c1) -> (r1,c1)=30. Adds (r1,c1).
         * Round 3: row r1: only (r1,c1), the other member is 0 -> the margin
         *   (r1,*)=30. Adds (r1,*).
         * Round 4: col * (members (r0,*), (r1,*)): only (r1,*) -> (r0,*)=23.
         * Round 5: every group has 0 or 2 suppressed members, or (col c0, row
         *   r1) its margin suppressed too; nothing added. (*,*) is a member of
         *   no group and is published. */
        static const int64_t g[] = {3, 20, 23, 0, 30, 30, 3, 50, 53};
        int ncats[2] = {2, 2};
        swi_dc_table_t *t = new_table(2, ncats, 1, 0, NULL, NULL);

        set_grid(t, 2, 2, 0, g);
        apply(t, 5, 10);
        ck_suppressed(count2(t, 0, 0, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count2(t, M, 0, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count2(t, 0, 1, 0), SWI_DC_R_SECONDARY);
        ck_suppressed(count2(t, M, 1, 0), SWI_DC_R_SECONDARY);
        ck_suppressed(count2(t, 1, 1, 0), SWI_DC_R_SECONDARY);
        ck_suppressed(count2(t, 1, M, 0), SWI_DC_R_SECONDARY);
        ck_suppressed(count2(t, 0, M, 0), SWI_DC_R_SECONDARY);
        ck_published(count2(t, 1, 0, 0), 0);
        ck_published(count2(t, M, M, 0), 55); /* 53 -> 55 (10.6) */
        swi_dc_table_destroy(t);

        /* 1-D: [0, 4, 0] margin 4 is primary itself: nothing more to do; and
         * [0, 0, 0] has nothing suppressed */
        ncats[0] = 3;
        t = new_table(1, ncats, 1, 0, NULL, NULL);
        set1(t, 1, 0, 4);
        set1(t, M, 0, 4);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 1, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count1(t, M, 0), SWI_DC_R_PRIMARY);
        ck_published(count1(t, 0, 0), 0);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_count_fields_independent)
{
        /* Two count fields in one 1-D table of 3 categories: field 0 [4, 20, 30]
         * suppresses cat0 and then cat1 (20 < 30); field 1 [40, 20, 30] has
         * nothing suppressed, and field 0's suppressions do not spill over. */
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 2, 0, NULL, NULL);

        set1(t, 0, 0, 4);
        set1(t, 1, 0, 20);
        set1(t, 2, 0, 30);
        set1(t, M, 0, 54);
        set1(t, 0, 1, 40);
        set1(t, 1, 1, 20);
        set1(t, 2, 1, 30);
        set1(t, M, 1, 90);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 0, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count1(t, 1, 0), SWI_DC_R_SECONDARY);
        ck_published(count1(t, 2, 0), 30);
        ck_published(count1(t, M, 0), 55); /* 54 -> 55 (10.8) */
        ck_published(count1(t, 0, 1), 40);
        ck_published(count1(t, 1, 1), 20);
        ck_published(count1(t, 2, 1), 30);
        ck_published(count1(t, M, 1), 90);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_3d_groups_along_every_dimension)
{
        /* 2 x 2 x 2 categories, one count field. All category cells 0 except
         *   A (0,0,0) = 4, B (0,0,1) = 20, C (0,1,0) = 30, D (1,0,0) = 25,
         * with the margins the caller computes (sums of the above).
         * Round 1, groups through A (the sole primary cell; all margins >= 20):
         *   along dim 2 at (0,0,*): A, B -> B; along dim 1 at (0,*,0): A, C ->
         *   C; along dim 0 at (*,0,0): A, D -> D.
         * Round 2: B is alone in its dim-1 group (0,*,1) [20, 0] and its dim-0
         *   group (*,0,1) [20, 0], with no candidate: their margins go, and so
         *   for C ((0,1,*), (*,1,0)) and D ((1,0,*), (1,*,0)).
         * Round 3: each of those margins is a member along the other
         *   dimensions: (0,*,1) alone in (0,*,*) [34, .] -> (0,*,0) and alone
         *   in (*,*,1) [., 0] -> its margin (*,*,1); likewise (0,0,*), (*,0,0),
         *   (*,1,*), (1,*,*).
         * Round 4: (*,*,1) alone in (*,*,*) along dim 2 -> (*,*,0); (*,1,*) ->
         *   (*,0,*); (1,*,*) -> (0,*,*).
         * Round 5: nothing. Every non-zero value is suppressed but (*,*,*),
         *   which is a member of no group: 79 -> 80. */
        int ncats[3] = {2, 2, 2};
        swi_dc_table_t *t = new_table(3, ncats, 1, 0, NULL, NULL);
        struct {
                int c[3];
                int64_t v;
        } cells[] = {
            {{0, 0, 0}, 4},
            {{0, 0, 1}, 20},
            {{0, 1, 0}, 30},
            {{1, 0, 0}, 25},
        };
        int64_t sum[3][3][3];
        int i, a, b, c, x[3];
        swi_dc_value_t v;

        /* every cell including margins: the sum of the listed cells it covers */
        for (a = -1; a < 2; a++) {
                for (b = -1; b < 2; b++) {
                        for (c = -1; c < 2; c++) {
                                int64_t n = 0;

                                for (i = 0; i < 4; i++) {
                                        if ((a < 0 || cells[i].c[0] == a) &&
                                            (b < 0 || cells[i].c[1] == b) &&
                                            (c < 0 || cells[i].c[2] == c))
                                                n += cells[i].v;
                                }
                                x[0] = a;
                                x[1] = b;
                                x[2] = c;
                                sum[a + 1][b + 1][c + 1] = n;
                                ck_assert_int_eq(swi_dc_set_count(t, x, 0, n), SWI_OK);
                        }
                }
        }
        apply(t, 5, 10);
        for (a = -1; a < 2; a++) {
                for (b = -1; b < 2; b++) {
                        for (c = -1; c < 2; c++) {
                                x[0] = a;
                                x[1] = b;
                                x[2] = c;
                                ck_assert_int_eq(swi_dc_get_count(t, x, 0, &v), SWI_OK);
                                if (a == 0 && b == 0 && c == 0)
                                        ck_suppressed(v, SWI_DC_R_PRIMARY);
                                else if (a < 0 && b < 0 && c < 0)
                                        ck_published(v, 80);
                                else if (sum[a + 1][b + 1][c + 1] == 0)
                                        ck_published(v, 0);
                                else
                                        ck_suppressed(v, SWI_DC_R_SECONDARY);
                        }
                }
        }
        swi_dc_table_destroy(t);
}
END_TEST

/* ---- shares ------------------------------------------------------------------------ */

/* One category (so no group can add anything): den in field 0, num in
 * field 1, share 0 = num / den. */
static swi_dc_table_t *one_share(int64_t den, int64_t num)
{
        static const int sn[1] = {1}, sd[1] = {0};
        int ncats[1] = {1};
        swi_dc_table_t *t = new_table(1, ncats, 2, 1, sn, sd);

        set1(t, 0, 0, den);
        set1(t, M, 0, den);
        set1(t, 0, 1, num);
        set1(t, M, 1, num);
        apply(t, 5, 10);
        return t;
}

START_TEST(test_disclosure_share_one_decimal_from_unrounded)
{
        swi_dc_table_t *t;
        swi_dc_value_t v;
        char buf[16];

        /* 49/400 = 12.25% -> 12.3 (tie away from zero, integer arithmetic) */
        t = one_share(400, 49);
        ck_published(share1(t, 0, 0), 123);
        v = share1(t, 0, 0);
        ck_assert_int_eq(swi_dc_format_share(&v, buf, sizeof(buf)), 4);
        ck_assert_str_eq(buf, "12.3");
        swi_dc_table_destroy(t);
        /* 12/37 = 32.43% -> 32.4 from unrounded counts (the rounded counts
         * 10/35 would give 28.6) */
        t = one_share(37, 12);
        ck_published(share1(t, 0, 0), 324);
        ck_published(count1(t, 0, 0), 35);
        ck_published(count1(t, 0, 1), 10);
        swi_dc_table_destroy(t);
        /* 20/30 = 66.67% -> 66.7; 10/160 = 6.25% -> 6.3 */
        t = one_share(30, 20);
        ck_published(share1(t, 0, 0), 667);
        swi_dc_table_destroy(t);
        t = one_share(160, 10);
        ck_published(share1(t, 0, 0), 63);
        swi_dc_table_destroy(t);
        /* 0/10 = 0.0 (den - num = 10 is not in 1..9); 10/10 = 100.0 (den - num = 0) */
        t = one_share(10, 0);
        ck_published(share1(t, 0, 0), 0);
        ck_published(count1(t, 0, 1), 0);
        swi_dc_table_destroy(t);
        t = one_share(10, 10);
        ck_published(share1(t, 0, 0), 1000);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_share_small_denominator)
{
        swi_dc_table_t *t;

        /* den 9 < T; num 0 so den - num = 9 is in 1..9 as well: the numerator
         * count is suppressed too (complement), although it is 0 (§6 settled
         * points, read literally), and the share has a suppressed numerator */
        t = one_share(9, 0);
        ck_suppressed(share1(t, 0, 0),
                      SWI_DC_R_DENOMINATOR | SWI_DC_R_COMPLEMENT | SWI_DC_R_NUMERATOR);
        ck_suppressed(count1(t, 0, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count1(t, 0, 1), SWI_DC_R_COMPLEMENT);
        swi_dc_table_destroy(t);
        /* den 10 = T, num 10: published 100.0 */
        t = one_share(10, 10);
        ck_published(share1(t, 0, 0), 1000);
        swi_dc_table_destroy(t);
}
END_TEST

/* §6 settled point: a share over 0 is NULL but not suppressed, and no
 * suppressed member of any group. (Before: suppressed, reason denominator,
 * and the only suppressed member of its group, so the smallest other share
 * with a non-zero numerator was suppressed too.) */
START_TEST(test_disclosure_share_over_zero_is_null_not_suppressed)
{
        /* 1-D, 3 categories; den [0, 50, 40] margin 90, num [0, 20, 25]
         * margin 45. No count is suppressed (0, 20, 25, 45; 50 - 20 = 30,
         * 40 - 25 = 15, 90 - 45 = 45 are no complements). Shares: cat0 0/0
         * undefined; cat1 40.0, cat2 62.5, margin 50.0 all published. */
        static const int sn[1] = {1}, sd[1] = {0};
        static const int64_t den[] = {0, 50, 40}, num[] = {0, 20, 25};
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 2, 1, sn, sd);
        swi_dc_value_t v;
        char buf[16];

        for (int i = 0; i < 3; i++) {
                set1(t, i, 0, den[i]);
                set1(t, i, 1, num[i]);
        }
        set1(t, M, 0, 90);
        set1(t, M, 1, 45);
        apply(t, 5, 10);
        v = share1(t, 0, 0);
        ck_assert(!v.suppressed && v.undefined && v.reasons == 0 && v.value == 0);
        ck_assert_int_eq(swi_dc_format_share(&v, buf, sizeof(buf)), 3);
        ck_published(share1(t, 1, 0), 400);
        ck_published(share1(t, 2, 0), 625);
        ck_published(share1(t, M, 0), 500);
        ck_assert(!share1(t, 1, 0).undefined);
        ck_published(count1(t, 0, 0), 0);
        ck_published(count1(t, 0, 1), 0);
        swi_dc_table_destroy(t);

        /* one category: 0/0 with a zero margin, undefined there too */
        t = one_share(0, 0);
        v = share1(t, M, 0);
        ck_assert(!v.suppressed && v.undefined && v.reasons == 0);
        ck_published(count1(t, 0, 0), 0);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_share_small_complement)
{
        swi_dc_table_t *t;

        /* 45/50: den - num = 5 in 1..9 -> suppressed, and so is its numerator
         * count 45 (reason complement: 50 - 45 would give it back); in the
         * margin cell as well, which has the same counts */
        t = one_share(50, 45);
        ck_suppressed(share1(t, 0, 0), SWI_DC_R_COMPLEMENT | SWI_DC_R_NUMERATOR);
        ck_published(count1(t, 0, 0), 50);
        ck_suppressed(count1(t, 0, 1), SWI_DC_R_COMPLEMENT);
        ck_suppressed(count1(t, M, 1), SWI_DC_R_COMPLEMENT);
        swi_dc_table_destroy(t);
        /* 41/50: den - num = 9 = T-1 -> suppressed */
        t = one_share(50, 41);
        ck_suppressed(share1(t, 0, 0), SWI_DC_R_COMPLEMENT | SWI_DC_R_NUMERATOR);
        ck_suppressed(count1(t, 0, 1), SWI_DC_R_COMPLEMENT);
        swi_dc_table_destroy(t);
        /* 40/50: den - num = 10 = T -> published, 80.0, counts too */
        t = one_share(50, 40);
        ck_published(share1(t, 0, 0), 800);
        ck_published(count1(t, 0, 1), 40);
        swi_dc_table_destroy(t);
}
END_TEST

/* §6 settled point: the numerator of a share suppressed for its complement
 * is suppressed too, and takes part in its count field's secondary rounds.
 * (Before: the counts 45 and 50 were published side by side.) */
START_TEST(test_disclosure_complement_suppresses_numerator)
{
        /* 1-D, 3 categories; den [50, 100, 80] margin 230, num [45, 30, 20]
         * margin 95. num counts: cat0 starts suppressed (50 - 45 = 5,
         * complement); the only one -> smallest other non-zero 20 (cat2)
         * secondary. den counts: nothing. Shares: cat0 complement + numerator,
         * cat2 numerator; two suppressed -> nothing more. cat1 30/100 = 30.0,
         * margin 95/230 = 41.30% -> 41.3. */
        static const int sn[1] = {1}, sd[1] = {0};
        static const int64_t den[] = {50, 100, 80}, num[] = {45, 30, 20};
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 2, 1, sn, sd);

        for (int i = 0; i < 3; i++) {
                set1(t, i, 0, den[i]);
                set1(t, i, 1, num[i]);
        }
        set1(t, M, 0, 230);
        set1(t, M, 1, 95);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 0, 1), SWI_DC_R_COMPLEMENT);
        ck_published(count1(t, 1, 1), 30);
        ck_suppressed(count1(t, 2, 1), SWI_DC_R_SECONDARY);
        ck_published(count1(t, M, 1), 95);
        for (int i = 0; i < 3; i++)
                ck_published(count1(t, i, 0), den[i]);
        ck_suppressed(share1(t, 0, 0), SWI_DC_R_COMPLEMENT | SWI_DC_R_NUMERATOR);
        ck_published(share1(t, 1, 0), 300);
        ck_suppressed(share1(t, 2, 0), SWI_DC_R_NUMERATOR);
        ck_published(share1(t, M, 0), 413);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_share_suppressed_numerator)
{
        /* 1-D, 3 categories; den (field 0) [100, 100, 100] margin 300,
         * num (field 1) [4, 30, 50] margin 84.
         * num counts: cat0 primary; only suppressed -> smallest other non-zero
         * is 30 -> cat1 secondary.
         * Shares: cat0 (numerator primary) and cat1 (numerator secondary) are
         * suppressed with reason NUMERATOR ("for either reason"); the share
         * group then has two suppressed -> nothing more. cat2 = 50/100 = 50.0;
         * margin 84/300 = 28.0. */
        static const int sn[1] = {1}, sd[1] = {0};
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 2, 1, sn, sd);
        int i;

        for (i = 0; i < 3; i++)
                set1(t, i, 0, 100);
        set1(t, M, 0, 300);
        set1(t, 0, 1, 4);
        set1(t, 1, 1, 30);
        set1(t, 2, 1, 50);
        set1(t, M, 1, 84);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 0, 1), SWI_DC_R_PRIMARY);
        ck_suppressed(count1(t, 1, 1), SWI_DC_R_SECONDARY);
        ck_suppressed(share1(t, 0, 0), SWI_DC_R_NUMERATOR);
        ck_suppressed(share1(t, 1, 0), SWI_DC_R_NUMERATOR);
        ck_published(share1(t, 2, 0), 500);
        ck_published(share1(t, M, 0), 280);
        ck_published(count1(t, M, 1), 85); /* 84 -> 85 (16.8) */
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_share_secondary)
{
        /* 1-D, 4 categories; den [40, 50, 60, 200] margin 350,
         * num [35, 20, 12, 100] margin 167. No count is primary.
         * cat0 35/40 has den - num = 5: the share is COMPLEMENT, and so its
         * numerator count starts suppressed (complement); the only one in the
         * num group -> smallest other non-zero: 12 (cat2) SECONDARY. Shares
         * start from the numerators' final state: cat0 complement + numerator,
         * cat2 numerator; two suppressed -> nothing more. cat1 20/50 = 40.0,
         * cat3 100/200 = 50.0, margin 167/350 = 47.714% -> 47.7. (Before the
         * settled points the counts stayed published and the share rounds
         * chose cat2's share.) */
        static const int sn[1] = {1}, sd[1] = {0};
        static const int64_t den[] = {40, 50, 60, 200}, num[] = {35, 20, 12, 100};
        int ncats[1] = {4};
        swi_dc_table_t *t = new_table(1, ncats, 2, 1, sn, sd);
        int i;

        for (i = 0; i < 4; i++) {
                set1(t, i, 0, den[i]);
                set1(t, i, 1, num[i]);
        }
        set1(t, M, 0, 350);
        set1(t, M, 1, 167);
        apply(t, 5, 10);
        ck_suppressed(share1(t, 0, 0), SWI_DC_R_COMPLEMENT | SWI_DC_R_NUMERATOR);
        ck_published(share1(t, 1, 0), 400);
        ck_suppressed(share1(t, 2, 0), SWI_DC_R_NUMERATOR);
        ck_published(share1(t, 3, 0), 500);
        ck_published(share1(t, M, 0), 477);
        ck_suppressed(count1(t, 0, 1), SWI_DC_R_COMPLEMENT);
        ck_suppressed(count1(t, 2, 1), SWI_DC_R_SECONDARY);
        ck_published(count1(t, M, 1), 165); /* 167 -> 165 (33.4) */
        ck_published(count1(t, 2, 0), 60);
        swi_dc_table_destroy(t);
}
END_TEST

START_TEST(test_disclosure_secondary_denominator_keeps_share)
{
        /* 1-D, 3 categories; den [3, 40, 50] margin 93, num [0, 20, 12] margin 32.
         * den counts: cat0 primary; smallest other non-zero is 40 -> cat1
         * secondary. num counts: cat0 (0) starts suppressed, reason
         * complement (its share's den - num = 3); the only one -> smallest
         * other non-zero 12 (cat2) secondary.
         * Shares: cat0 denominator + complement + numerator; cat2 numerator;
         * two -> nothing more. cat1: its denominator is secondarily
         * suppressed, but that does not suppress the share: 20/40 = 50.0.
         * Margin share 32/93 = 34.41% -> 34.4; margins 93 -> 95, 32 -> 30. */
        static const int sn[1] = {1}, sd[1] = {0};
        int ncats[1] = {3};
        swi_dc_table_t *t = new_table(1, ncats, 2, 1, sn, sd);

        set1(t, 0, 0, 3);
        set1(t, 1, 0, 40);
        set1(t, 2, 0, 50);
        set1(t, M, 0, 93);
        set1(t, 0, 1, 0);
        set1(t, 1, 1, 20);
        set1(t, 2, 1, 12);
        set1(t, M, 1, 32);
        apply(t, 5, 10);
        ck_suppressed(count1(t, 0, 0), SWI_DC_R_PRIMARY);
        ck_suppressed(count1(t, 1, 0), SWI_DC_R_SECONDARY);
        ck_published(count1(t, 2, 0), 50);
        ck_published(count1(t, M, 0), 95);
        ck_suppressed(count1(t, 0, 1), SWI_DC_R_COMPLEMENT);
        ck_published(count1(t, 1, 1), 20);
        ck_suppressed(count1(t, 2, 1), SWI_DC_R_SECONDARY);
        ck_published(count1(t, M, 1), 30);
        ck_suppressed(share1(t, 0, 0),
                      SWI_DC_R_DENOMINATOR | SWI_DC_R_COMPLEMENT | SWI_DC_R_NUMERATOR);
        ck_published(share1(t, 1, 0), 500);
        ck_suppressed(share1(t, 2, 0), SWI_DC_R_NUMERATOR);
        ck_published(share1(t, M, 0), 344);
        swi_dc_table_destroy(t);
}
END_TEST

/* §6 settled point: every group of every breakdown, whatever its number of
 * dimensions. (Before: at most 4 dimensions, so the fifth of
 * voortgang_examens was approximated outside the rounds.) */
START_TEST(test_disclosure_five_dimensions)
{
        /* 2^5 categories; A (0,0,0,0,0) = 3, B (0,0,0,0,1) = 40,
         * C (1,0,0,0,1) = 25, every other category cell 0; margins are sums.
         * Round 1: along dim 4, (0,0,0,0,*) has A (primary) and B -> B. (A's
         *   groups along dims 0..3 have only zeros besides A; their margins
         *   are 3, primary already.)
         * Round 2: along dim 0, (*,0,0,0,1) has B and C -> C: the fifth
         *   dimension's choice cascades into the first.
         * Later rounds go on through margins; a zero is never chosen, and
         *   (*,*,*,*,*) = 68 is a member of no group: 68 -> 70. */
        int ncats[5] = {2, 2, 2, 2, 2};
        swi_dc_table_t *t = new_table(5, ncats, 1, 0, NULL, NULL);
        static const int cells[3][5] = {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 1}, {1, 0, 0, 0, 1}};
        static const int64_t val[3] = {3, 40, 25};
        int x[5];
        swi_dc_value_t v;

        for (int idx = 0; idx < 243; idx++) {
                int64_t n = 0;
                for (int d = 0, r = idx; d < 5; d++, r /= 3)
                        x[d] = r % 3 == 2 ? M : r % 3;
                for (int k = 0; k < 3; k++) {
                        bool in = true;
                        for (int d = 0; d < 5; d++)
                                in = in && (x[d] == M || x[d] == cells[k][d]);
                        n += in ? val[k] : 0;
                }
                ck_assert_int_eq(swi_dc_set_count(t, x, 0, n), SWI_OK);
        }
        apply(t, 5, 10);
        ck_assert_int_eq(swi_dc_get_count(t, cells[0], 0, &v), SWI_OK);
        ck_suppressed(v, SWI_DC_R_PRIMARY);
        ck_assert_int_eq(swi_dc_get_count(t, cells[1], 0, &v), SWI_OK);
        ck_suppressed(v, SWI_DC_R_SECONDARY);
        ck_assert_int_eq(swi_dc_get_count(t, cells[2], 0, &v), SWI_OK);
        ck_suppressed(v, SWI_DC_R_SECONDARY);
        for (int d = 0; d < 5; d++)
                x[d] = M;
        ck_assert_int_eq(swi_dc_get_count(t, x, 0, &v), SWI_OK);
        ck_published(v, 70);
        for (int idx = 0; idx < 243; idx++) {
                for (int d = 0, r = idx; d < 5; d++, r /= 3)
                        x[d] = r % 3 == 2 ? M : r % 3;
                if (swi_dc_raw_count(t, x, 0) == 0) {
                        ck_assert_int_eq(swi_dc_get_count(t, x, 0, &v), SWI_OK);
                        ck_published(v, 0);
                }
        }
        swi_dc_table_destroy(t);
}
END_TEST

/* ---- lead times ------------------------------------------------------------------ */

START_TEST(test_disclosure_leadtime_suppressed_below_threshold)
{
        /* mean 125/10 = 12.5 days -> 125 tenths; a quantile 1225/100 = 12.25 ->
         * 12.3 (123); a negative lead time -1225/100 -> -12.3 (away from zero). */
        const swi_dc_params_t p = P_DEFAULT;
        const swi_dc_ratio_t st[3] = {{125, 10}, {1225, 100}, {-1225, 100}};
        swi_dc_value_t out[3];
        int i;

        /* n = 9 < T: all suppressed */
        ck_assert_int_eq(swi_dc_leadtime(&p, 9, 3, st, out), SWI_OK);
        for (i = 0; i < 3; i++)
                ck_suppressed(out[i], SWI_DC_R_LEADTIME_N);
        /* n = 0: nothing to publish, suppressed as n < T (even with den 0) */
        {
                const swi_dc_ratio_t undef[1] = {{0, 0}};

                ck_assert_int_eq(swi_dc_leadtime(&p, 0, 1, undef, out), SWI_OK);
                ck_suppressed(out[0], SWI_DC_R_LEADTIME_N);
        }
        /* n = 10 = T: published */
        ck_assert_int_eq(swi_dc_leadtime(&p, 10, 3, st, out), SWI_OK);
        ck_published(out[0], 125);
        ck_published(out[1], 123);
        ck_published(out[2], -123);
        /* a zero denominator in a published statistic is the caller's error */
        {
                const swi_dc_ratio_t bad[1] = {{1, 0}};

                ck_assert_int_eq(swi_dc_leadtime(&p, 10, 1, bad, out), SWI_ERR_INVALID_ARG);
        }
}
END_TEST

/* ---- API contract ---------------------------------------------------------------- */

START_TEST(test_disclosure_api_errors)
{
        char err[128];
        int ncats[SWI_DC_MAX_DIMS + 1] = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int zero[1] = {0};
        int sn[1] = {0}, sd[1] = {0}, sbad[1] = {2};
        int coord[1] = {0}, bad_coord[1] = {2}, low_coord[1] = {-2};
        swi_dc_params_t p = SWI_DC_PARAMS_DEFAULT, p0 = {0, 10};
        swi_dc_table_t *t;
        swi_dc_value_t v;

        swi_dc_table_destroy(NULL);
        err[0] = '\0';
        ck_assert_ptr_null(swi_dc_table_new(0, ncats, 1, 0, NULL, NULL, err, sizeof(err)));
        ck_assert(err[0] != '\0');
        ck_assert_ptr_null(
            swi_dc_table_new(SWI_DC_MAX_DIMS + 1, ncats, 1, 0, NULL, NULL, err, sizeof(err)));
        ck_assert_ptr_null(swi_dc_table_new(1, zero, 1, 0, NULL, NULL, err, sizeof(err)));
        ck_assert_ptr_null(swi_dc_table_new(1, ncats, 0, 0, NULL, NULL, err, sizeof(err)));
        ck_assert_ptr_null(swi_dc_table_new(1, ncats, 2, 1, sn, sd, err, sizeof(err)));
        ck_assert_ptr_null(swi_dc_table_new(1, ncats, 2, 1, sn, sbad, err, sizeof(err)));
        ck_assert_ptr_null(swi_dc_table_new(1, ncats, 2, 1, NULL, NULL, err, sizeof(err)));

        sd[0] = 1;
        t = swi_dc_table_new(1, ncats, 2, 1, sn, sd, err, sizeof(err));
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(swi_dc_set_count(t, bad_coord, 0, 1), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_dc_set_count(t, low_coord, 0, 1), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_dc_set_count(t, coord, 2, 1), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_dc_set_count(t, coord, 0, -1), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_dc_set_count(t, coord, 0, SWI_DC_COUNT_MAX + 1), SWI_ERR_INVALID_ARG);
        /* no results before apply */
        ck_assert_int_eq(swi_dc_get_count(t, coord, 0, &v), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_dc_apply(t, &p0, err, sizeof(err)), SWI_ERR_INVALID_ARG);
        /* share 0 is field 0 / field 1: numerator 20 > denominator 10 */
        ck_assert_int_eq(swi_dc_set_count(t, coord, 0, 20), SWI_OK);
        ck_assert_int_eq(swi_dc_set_count(t, coord, 1, 10), SWI_OK);
        ck_assert_int_eq(swi_dc_apply(t, &p, err, sizeof(err)), SWI_ERR_INVALID_ARG);
        ck_assert(strstr(err, "numerator") != NULL);
        ck_assert_int_eq(swi_dc_set_count(t, coord, 1, 20), SWI_OK);
        ck_assert_int_eq(swi_dc_apply(t, &p, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_dc_get_count(t, coord, 0, &v), SWI_OK);
        ck_assert_int_eq(swi_dc_get_share(t, coord, 1, &v), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_dc_get_count(t, bad_coord, 0, &v), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_dc_raw_count(t, coord, 0), 20);
        /* a change invalidates the results until the next apply */
        ck_assert_int_eq(swi_dc_set_count(t, coord, 0, 30), SWI_OK);
        ck_assert_int_eq(swi_dc_get_count(t, coord, 0, &v), SWI_ERR_INVALID_ARG);
        swi_dc_clear(t);
        ck_assert_int_eq(swi_dc_raw_count(t, coord, 0), 0);
        swi_dc_table_destroy(t);

        ck_assert_str_eq(swi_dc_reason2str(SWI_DC_R_SECONDARY), "secondary");
        ck_assert_str_eq(swi_dc_reason2str(0), "none");
}
END_TEST

START_TEST(test_disclosure_reapply_is_deterministic)
{
        /* Block A of the cascade test: applying twice (and after a detour through
         * B = 100) gives the same result, since apply starts from scratch. */
        static const int64_t g[] = {5,  20, 50, 75,  30, 4,  60,  94,
                                    40, 15, 70, 125, 75, 39, 180, 294};
        int ncats[2] = {3, 3};
        swi_dc_table_t *t = new_table(2, ncats, 1, 0, NULL, NULL);

        /* block A of the cascade test with its margins */
        set_grid(t, 3, 3, 0, g);
        apply(t, 100, 10);
        ck_published(count2(t, M, M, 0), 300); /* 294 -> 300 (2.94) */
        ck_published(count2(t, 0, 2, 0), 100); /* 50 -> 100 (0.5 away from zero) */
        apply(t, 5, 10);
        ck_suppressed(count2(t, 2, 0, 0), SWI_DC_R_SECONDARY);
        ck_published(count2(t, M, M, 0), 295);
        ck_published(count2(t, 0, 2, 0), 50);
        swi_dc_table_destroy(t);
}
END_TEST

static Suite *disclosure_suite(void)
{
        Suite *s = suite_create("disclosure");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_disclosure_round_half_away);
        tcase_add_test(tc, test_disclosure_format_fixed);
        tcase_add_test(tc, test_disclosure_count_rounding_base5);
        tcase_add_test(tc, test_disclosure_count_rounding_halves);
        tcase_add_test(tc, test_disclosure_count_base100);
        tcase_add_test(tc, test_disclosure_suppress_below_threshold);
        tcase_add_test(tc, test_disclosure_zero_stays_zero);
        tcase_add_test(tc, test_disclosure_margin_rounded_on_its_own);
        tcase_add_test(tc, test_disclosure_secondary_1d);
        tcase_add_test(tc, test_disclosure_secondary_tie_first_in_order);
        tcase_add_test(tc, test_disclosure_secondary_by_unrounded_count);
        tcase_add_test(tc, test_disclosure_two_suppressed_need_nothing_more);
        tcase_add_test(tc, test_disclosure_secondary_2d_cascade);
        tcase_add_test(tc, test_disclosure_margin_suppressed_when_no_candidate);
        tcase_add_test(tc, test_disclosure_count_fields_independent);
        tcase_add_test(tc, test_disclosure_3d_groups_along_every_dimension);
        tcase_add_test(tc, test_disclosure_share_one_decimal_from_unrounded);
        tcase_add_test(tc, test_disclosure_share_small_denominator);
        tcase_add_test(tc, test_disclosure_share_over_zero_is_null_not_suppressed);
        tcase_add_test(tc, test_disclosure_share_small_complement);
        tcase_add_test(tc, test_disclosure_complement_suppresses_numerator);
        tcase_add_test(tc, test_disclosure_share_suppressed_numerator);
        tcase_add_test(tc, test_disclosure_share_secondary);
        tcase_add_test(tc, test_disclosure_secondary_denominator_keeps_share);
        tcase_add_test(tc, test_disclosure_five_dimensions);
        tcase_add_test(tc, test_disclosure_leadtime_suppressed_below_threshold);
        tcase_add_test(tc, test_disclosure_api_errors);
        tcase_add_test(tc, test_disclosure_reapply_is_deterministic);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(disclosure_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
