// ScaLAPACK and BLACS (Debian's libscalapack-openmpi: 32-bit integers, Fortran calling
// convention) ship no C header: these are the prototypes the driver uses, by reference, with the
// hidden string-length arguments gfortran appends for CHARACTER arguments (size_t, last).
#pragma once

#include <cstddef>

extern "C" {
void blacs_pinfo_(int* mypnum, int* nprocs);
void blacs_get_(const int* icontxt, const int* what, int* val);
void blacs_gridinit_(int* icontxt, const char* order, const int* nprow, const int* npcol, std::size_t order_len);
void blacs_gridinfo_(const int* icontxt, int* nprow, int* npcol, int* myrow, int* mycol);
void blacs_gridexit_(const int* icontxt);

void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb, const int* irsrc, const int* icsrc,
               const int* ictxt, const int* lld, int* info);

// Copies sub(A) (m x n at ia, ja) into sub(B) (at ib, jb) across any two distributions; ictxt
// must hold every process of both grids.
void pdgemr2d_(const int* m, const int* n, const double* a, const int* ia, const int* ja, const int* desca, double* b,
               const int* ib, const int* jb, const int* descb, const int* ictxt);

void pdsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* ia, const int* ja, const int* desca,
             double* w, double* z, const int* iz, const int* jz, const int* descz, double* work, const int* lwork,
             int* info, std::size_t jobz_len, std::size_t uplo_len);

void pdsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* ia, const int* ja, const int* desca,
              double* w, double* z, const int* iz, const int* jz, const int* descz, double* work, const int* lwork,
              int* iwork, const int* liwork, int* info, std::size_t jobz_len, std::size_t uplo_len);

// Defined by the driver (driver.cc), replacing ScaLAPACK's own, which prints and returns: a bad
// argument on one rank would otherwise leave the others waiting in a collective forever.
void pxerbla_(const int* ictxt, const char* srname, const int* info, std::size_t srname_len);
}
