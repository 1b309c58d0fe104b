/* check_row_diff.c - publish/row_diff: old vs new indicator rows -> what the
 * live publisher updates, inserts and deletes, without PostgreSQL. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/row_diff.h"

/* breakdown, measure and dimension names are static strings in the
 * indicators (compared by address): the tests' are too */
static const char BD_A[] = "populatie_geslacht", BD_B[] = "fase_plichtigen";
static const char M_X[] = "plichtigen", M_Y[] = "aandeel_met_pip";
static const char DIM[] = "geslacht";

static swi_ind_row_t *add(swi_ind_rows_t *rs, const char *bd, const char *cohort,
                          const char *doelgroep, const char *dim, const char *measure,
                          int64_t value)
{
        if (rs->n == rs->cap) {
                rs->cap = rs->cap ? 2 * rs->cap : 16;
                rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
                ck_assert_ptr_nonnull(rs->v);
        }
        swi_ind_row_t *r = &rs->v[rs->n++];
        memset(r, 0, sizeof(*r));
        r->family = 1;
        r->breakdown = bd;
        snprintf(r->cohort, sizeof(r->cohort), "%s", cohort);
        snprintf(r->doelgroep, sizeof(r->doelgroep), "%s", doelgroep);
        if (dim) {
                r->ndims = 1;
                r->dim_name[0] = DIM;
                snprintf(r->dim_value[0], sizeof(r->dim_value[0]), "%s", dim);
        }
        r->measure = measure;
        r->unit = "personen";
        r->value = value;
        r->raw_num = value;
        r->raw_den = 1;
        return r;
}

/* The same cells: four rows over the parts a cell is made of. */
static void cells(swi_ind_rows_t *rs)
{
        add(rs, BD_A, "2023", "ASIEL", "M", M_X, 10);
        add(rs, BD_A, "2023", "ASIEL", "V", M_X, 20);
        add(rs, BD_A, "*", "ASIEL", "V", M_X, 30);
        add(rs, BD_B, "2023", "*", NULL, M_Y, 40);
}

/* Unchanged figures in the same order: every row is its own cell, nothing
 * to write. */
START_TEST(test_row_diff_same_rows_change_nothing)
{
        swi_ind_rows_t a = {0}, b = {0};
        swi_rowdiff_t d = {0};
        cells(&a);
        cells(&b);
        ck_assert_int_eq(swi_rowdiff_compute(&d, &a, &b), SWI_OK);
        ck_assert_uint_eq(d.n, 4);
        for (size_t i = 0; i < d.n; i++) {
                ck_assert_int_eq(d.old_of[i], (long)i);
                ck_assert_int_eq(d.op[i], SWI_ROWDIFF_SAME);
                ck_assert(!d.raw_changed[i]);
        }
        ck_assert_uint_eq(d.nupdate + d.ninsert + d.nraw + d.ngone, 0);
        swi_rowdiff_free(&d);
        swi_rowdiff_free(&d);
        swi_rowdiff_free(NULL);
        swi_ind_rows_free(&a);
        swi_ind_rows_free(&b);
}
END_TEST

/* Cells in another order are matched through their hash, not by position. */
START_TEST(test_row_diff_matches_reordered_cells)
{
        swi_ind_rows_t a = {0}, b = {0};
        long old_of[4];
        cells(&a);
        add(&b, BD_B, "2023", "*", NULL, M_Y, 40);
        add(&b, BD_A, "*", "ASIEL", "V", M_X, 30);
        add(&b, BD_A, "2023", "ASIEL", "M", M_X, 10);
        add(&b, BD_A, "2023", "ASIEL", "V", M_X, 20);
        ck_assert_int_eq(swi_rowdiff_match(&a, &b, old_of), SWI_OK);
        ck_assert_int_eq(old_of[0], 3);
        ck_assert_int_eq(old_of[1], 2);
        ck_assert_int_eq(old_of[2], 0);
        ck_assert_int_eq(old_of[3], 1);
        swi_ind_rows_free(&a);
        swi_ind_rows_free(&b);
}
END_TEST

/* A published value that moved is an update; an unrounded value that moved
 * under the same published one is only a raw change (a count can move
 * without its rounded value moving); suppression, the reason and the
 * decimals are part of the published value. */
START_TEST(test_row_diff_updates_values_and_raw_values)
{
        swi_ind_rows_t a = {0}, b = {0};
        swi_rowdiff_t d = {0};
        cells(&a);
        cells(&b);
        b.v[0].value = 15;
        b.v[0].raw_num = 14;
        b.v[1].raw_num = 21; /* same rounded value */
        b.v[2].onderdrukt = true;
        b.v[3].decimals = 1;
        b.v[3].raw_den = 2; /* a share's denominator alone moved */
        ck_assert_int_eq(swi_rowdiff_compute(&d, &a, &b), SWI_OK);
        ck_assert_int_eq(d.op[0], SWI_ROWDIFF_UPDATE);
        ck_assert(d.raw_changed[0]);
        ck_assert_int_eq(d.op[1], SWI_ROWDIFF_SAME);
        ck_assert(d.raw_changed[1]);
        ck_assert_int_eq(d.op[2], SWI_ROWDIFF_UPDATE);
        ck_assert(!d.raw_changed[2]);
        ck_assert_int_eq(d.op[3], SWI_ROWDIFF_UPDATE);
        ck_assert(d.raw_changed[3]);
        ck_assert_uint_eq(d.nupdate, 3);
        ck_assert_uint_eq(d.nraw, 3);
        ck_assert_uint_eq(d.ninsert + d.ngone, 0);
        b.v[2].onderdrukt = false;
        b.v[2].reden = 1;
        ck_assert(!swi_rowdiff_same_value(&a.v[2], &b.v[2]));
        b.v[2].reden = 0;
        b.v[2].undefined = true;
        ck_assert(!swi_rowdiff_same_value(&a.v[2], &b.v[2]));
        swi_rowdiff_free(&d);
        swi_ind_rows_free(&a);
        swi_ind_rows_free(&b);
}
END_TEST

/* A new cell is inserted, a cell no longer computed is deleted. */
START_TEST(test_row_diff_inserts_new_and_deletes_gone_cells)
{
        swi_ind_rows_t a = {0}, b = {0};
        swi_rowdiff_t d = {0};
        cells(&a);
        add(&b, BD_A, "2023", "ASIEL", "M", M_X, 10);
        add(&b, BD_A, "2024", "ASIEL", "M", M_X, 5); /* new cohort */
        add(&b, BD_B, "2023", "*", NULL, M_Y, 40);
        ck_assert_int_eq(swi_rowdiff_compute(&d, &a, &b), SWI_OK);
        ck_assert_int_eq(d.op[0], SWI_ROWDIFF_SAME);
        ck_assert_int_eq(d.op[1], SWI_ROWDIFF_INSERT);
        ck_assert_int_eq(d.old_of[1], -1);
        ck_assert(!d.raw_changed[1]);
        ck_assert_int_eq(d.op[2], SWI_ROWDIFF_SAME);
        ck_assert_int_eq(d.old_of[2], 3);
        ck_assert_uint_eq(d.ninsert, 1);
        ck_assert_uint_eq(d.ngone, 2);
        ck_assert_uint_eq(d.gone[0], 1);
        ck_assert_uint_eq(d.gone[1], 2);
        /* from nothing: all inserts; to nothing: all gone */
        swi_ind_rows_t none = {0};
        ck_assert_int_eq(swi_rowdiff_compute(&d, &none, &a), SWI_OK);
        ck_assert_uint_eq(d.ninsert, 4);
        ck_assert_uint_eq(d.ngone, 0);
        ck_assert_int_eq(swi_rowdiff_compute(&d, &a, &none), SWI_OK);
        ck_assert_uint_eq(d.n, 0);
        ck_assert_uint_eq(d.ngone, 4);
        swi_rowdiff_free(&d);
        swi_ind_rows_free(&a);
        swi_ind_rows_free(&b);
}
END_TEST

/* A cell is every one of its parts: breakdown, cohort, doelgroep, each
 * dimension value, the number of dimensions and the measure; equal cells
 * hash alike. */
START_TEST(test_row_diff_cell_is_every_part)
{
        swi_ind_rows_t a = {0};
        add(&a, BD_A, "2023", "ASIEL", "M", M_X, 10);
        add(&a, BD_B, "2023", "ASIEL", "M", M_X, 10);
        add(&a, BD_A, "2024", "ASIEL", "M", M_X, 10);
        add(&a, BD_A, "2023", "GEZIN", "M", M_X, 10);
        add(&a, BD_A, "2023", "ASIEL", "V", M_X, 10);
        add(&a, BD_A, "2023", "ASIEL", NULL, M_X, 10);
        add(&a, BD_A, "2023", "ASIEL", "M", M_Y, 10);
        const swi_ind_row_t *base = &a.v[0];
        for (size_t i = 1; i < a.n; i++) {
                ck_assert_msg(!swi_rowdiff_same_cell(base, &a.v[i]), "part %zu", i);
                ck_assert_msg(!swi_rowdiff_same_cell(&a.v[i], base), "part %zu", i);
                ck_assert_msg(swi_rowdiff_cell_hash(base) != swi_rowdiff_cell_hash(&a.v[i]),
                              "part %zu", i);
        }
        swi_ind_row_t copy = *base;
        copy.value = 99; /* values are not part of the cell */
        copy.raw_num = 98;
        ck_assert(swi_rowdiff_same_cell(base, &copy));
        ck_assert(swi_rowdiff_cell_hash(base) == swi_rowdiff_cell_hash(&copy));
        swi_ind_rows_free(&a);
}
END_TEST

/* Thousands of cells, shuffled, with some gone and some new: every cell
 * still there is found, every other one is not. */
START_TEST(test_row_diff_many_shuffled_cells)
{
        swi_ind_rows_t a = {0}, b = {0};
        swi_rowdiff_t d = {0};
        char dim[16], coh[8];
        for (int i = 0; i < 3000; i++) {
                snprintf(dim, sizeof(dim), "GM%04d", i % 400);
                snprintf(coh, sizeof(coh), "%d", 2020 + i / 400);
                add(&a, BD_A, coh, "ASIEL", dim, M_X, i);
        }
        /* b: every third cell of a dropped, the rest in reverse order, 100 new */
        for (int i = 2999; i >= 0; i--) {
                if (i % 3 == 0)
                        continue;
                snprintf(dim, sizeof(dim), "GM%04d", i % 400);
                snprintf(coh, sizeof(coh), "%d", 2020 + i / 400);
                add(&b, BD_A, coh, "ASIEL", dim, M_X, i);
        }
        for (int i = 0; i < 100; i++) {
                snprintf(dim, sizeof(dim), "GM%04d", i);
                add(&b, BD_A, "2030", "ASIEL", dim, M_X, i);
        }
        ck_assert_int_eq(swi_rowdiff_compute(&d, &a, &b), SWI_OK);
        ck_assert_uint_eq(d.ninsert, 100);
        ck_assert_uint_eq(d.ngone, 1000);
        ck_assert_uint_eq(d.nupdate + d.nraw, 0);
        for (size_t i = 0; i < b.n; i++) {
                if (d.old_of[i] < 0)
                        continue;
                ck_assert(swi_rowdiff_same_cell(&a.v[d.old_of[i]], &b.v[i]));
                ck_assert_int_eq(a.v[d.old_of[i]].value, b.v[i].value);
        }
        for (size_t j = 0; j < d.ngone; j++)
                ck_assert_int_eq(a.v[d.gone[j]].value % 3, 0);
        swi_rowdiff_free(&d);
        swi_ind_rows_free(&a);
        swi_ind_rows_free(&b);
}
END_TEST

static Suite *row_diff_suite(void)
{
        Suite *s = suite_create("row_diff");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_row_diff_same_rows_change_nothing);
        tcase_add_test(tc, test_row_diff_matches_reordered_cells);
        tcase_add_test(tc, test_row_diff_updates_values_and_raw_values);
        tcase_add_test(tc, test_row_diff_inserts_new_and_deletes_gone_cells);
        tcase_add_test(tc, test_row_diff_cell_is_every_part);
        tcase_add_test(tc, test_row_diff_many_shuffled_cells);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(row_diff_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
