/*
 * Convolution kernels for the CycleGAN's CPU path, called from Deno through
 * FFI. Layout is tfjs's: images [batch, height, width, channels], filters
 * [kernel height, kernel width, in channels, out channels].
 *
 * Every convolution is one matrix product C = A * B whose operands are never
 * materialised: packing routines read them straight from the image (an
 * implicit im2col) into the small panels a 6x16 AVX2/FMA micro-kernel
 * consumes, as in Goto and van de Geijn's blocked GEMM. Threads (OpenMP)
 * split the rows of C.
 *
 *   forward          out[m, co]  = im2col(x)[m, k] * w[k, co]
 *   filter gradient  dw[k, co]   = im2col(x)^T[k, m] * dy[m, co]
 *   input gradient   one forward convolution of dy per output phase: for
 *                    stride s, the s*s sub-kernels of the flipped filter,
 *                    written interleaved into dx, with no zero insertion.
 *
 * Build: gcc -O3 -march=x86-64-v3 -fno-math-errno -fopenmp -shared -fPIC
 *        -Wl,-z,nodelete conv.c elementwise.c -o libcyclegan.so
 */
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define MR 6
#define NR 16
#define KC 256
#define MC 48 /* rows of C per task: a multiple of MR */

/* ---- operand descriptions ---------------------------------------------- */

/* A strided matrix: element (i, j) at base[i * rs + j * cs]. */
typedef struct {
  const float *base;
  long rs, cs;
} Matrix;

/*
 * The im2col view of an image: row m is an output position (n, oh, ow),
 * column k is a filter tap (kh, kw, c). Out-of-image taps read as zero.
 * Padding may be negative, which shifts the window into the image.
 */
typedef struct {
  const float *x;
  long n, h, w, c;
  long kh, kw;
  long sh, sw;
  long top, left;
  long oh, ow;
} Im2col;

/*
 * Where row m of C goes: output position (n, oh, ow) of a grid [n, oh, ow]
 * that is phase (ry, rx) of a stride (sy, sx) lattice in an image
 * [n, hf, wf, channels]. A plain matrix has sy = sx = 1 and oh = rows.
 */
typedef struct {
  float *base;
  long oh, ow;
  long hf, wf, channels;
  long sy, sx, ry, rx;
  long cs; /* column stride */
} Output;

typedef enum { A_MATRIX, A_IM2COL, A_IM2COL_T } ASource;
typedef enum { B_MATRIX } BSource;

typedef struct {
  ASource kind;
  Matrix m;
  Im2col g;
} AOperand;

/* ---- packing ------------------------------------------------------------ */

/* dst[k * MR + r] = A(i0 + r, k0 + k) for r < rows, else 0. */
static void pack_a(const AOperand *a, long i0, long rows, long k0, long kc,
                   float *dst) {
  if (rows < MR) memset(dst, 0, sizeof(float) * MR * kc);
  if (a->kind == A_MATRIX) {
    const Matrix *m = &a->m;
    for (long r = 0; r < rows; r++) {
      const float *src = m->base + (i0 + r) * m->rs + k0 * m->cs;
      for (long k = 0; k < kc; k++) dst[k * MR + r] = src[k * m->cs];
    }
    return;
  }
  const Im2col *g = &a->g;
  if (a->kind == A_IM2COL) {
    /* Rows are output positions, columns taps. */
    for (long r = 0; r < rows; r++) {
      long m = i0 + r;
      long ow = m % g->ow, t = m / g->ow;
      long oh = t % g->oh, n = t / g->oh;
      long ih0 = oh * g->sh - g->top, iw0 = ow * g->sw - g->left;
      long c = k0 % g->c, tap = k0 / g->c;
      long kw = tap % g->kw, kh = tap / g->kw;
      long k = 0;
      while (k < kc) {
        long run = g->c - c;
        if (run > kc - k) run = kc - k;
        long ih = ih0 + kh, iw = iw0 + kw;
        if (ih >= 0 && ih < g->h && iw >= 0 && iw < g->w) {
          const float *src = g->x + ((n * g->h + ih) * g->w + iw) * g->c + c;
          for (long j = 0; j < run; j++) dst[(k + j) * MR + r] = src[j];
        } else {
          for (long j = 0; j < run; j++) dst[(k + j) * MR + r] = 0.0f;
        }
        k += run;
        c = 0;
        if (++kw == g->kw) {
          kw = 0;
          kh++;
        }
      }
    }
    return;
  }
  /* A_IM2COL_T: rows are taps, columns output positions. Each row's tap
   * is fixed, so its offset in the window is found once. */
  long dh[MR], dw[MR], offset[MR];
  for (long r = 0, c = i0 % g->c, tap = i0 / g->c; r < rows; r++) {
    dh[r] = tap / g->kw;
    dw[r] = tap % g->kw;
    offset[r] = (dh[r] * g->w + dw[r]) * g->c + c;
    if (++c == g->c) {
      c = 0;
      tap++;
    }
  }
  long ow = k0 % g->ow, t = k0 / g->ow;
  long oh = t % g->oh, n = t / g->oh;
  for (long k = 0; k < kc; k++) {
    long ih0 = oh * g->sh - g->top, iw0 = ow * g->sw - g->left;
    const float *window = g->x + ((n * g->h + ih0) * g->w + iw0) * g->c;
    float *d = dst + k * MR;
    if (ih0 >= 0 && ih0 + g->kh <= g->h && iw0 >= 0 && iw0 + g->kw <= g->w) {
      for (long r = 0; r < rows; r++) d[r] = window[offset[r]];
    } else {
      for (long r = 0; r < rows; r++) {
        long ih = ih0 + dh[r], iw = iw0 + dw[r];
        d[r] = (ih >= 0 && ih < g->h && iw >= 0 && iw < g->w)
                   ? window[offset[r]]
                   : 0.0f;
      }
    }
    if (++ow == g->ow) {
      ow = 0;
      if (++oh == g->oh) {
        oh = 0;
        n++;
      }
    }
  }
}

/* dst[k * NR + j] = B(k0 + k, j0 + j) for j < cols, else 0. */
static void pack_b(const Matrix *b, long k0, long kc, long j0, long cols,
                   float *dst) {
  if (cols < NR) memset(dst, 0, sizeof(float) * NR * kc);
  if (b->cs == 1 && cols == NR) {
    for (long k = 0; k < kc; k++) {
      memcpy(dst + k * NR, b->base + (k0 + k) * b->rs + j0, sizeof(float) * NR);
    }
    return;
  }
  for (long k = 0; k < kc; k++) {
    const float *src = b->base + (k0 + k) * b->rs + j0 * b->cs;
    for (long j = 0; j < cols; j++) dst[k * NR + j] = src[j * b->cs];
  }
}

/* ---- micro-kernel ------------------------------------------------------- */

/* tile[6][16] = sum over k of a[k][0..5] (outer) b[k][0..15]. */
static void kernel_6x16(long kc, const float *a, const float *b, float *tile) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (long k = 0; k < kc; k++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a), a1 = _mm256_broadcast_ss(a + 1);
    c00 = _mm256_fmadd_ps(a0, b0, c00);
    c01 = _mm256_fmadd_ps(a0, b1, c01);
    c10 = _mm256_fmadd_ps(a1, b0, c10);
    c11 = _mm256_fmadd_ps(a1, b1, c11);
    a0 = _mm256_broadcast_ss(a + 2);
    a1 = _mm256_broadcast_ss(a + 3);
    c20 = _mm256_fmadd_ps(a0, b0, c20);
    c21 = _mm256_fmadd_ps(a0, b1, c21);
    c30 = _mm256_fmadd_ps(a1, b0, c30);
    c31 = _mm256_fmadd_ps(a1, b1, c31);
    a0 = _mm256_broadcast_ss(a + 4);
    a1 = _mm256_broadcast_ss(a + 5);
    c40 = _mm256_fmadd_ps(a0, b0, c40);
    c41 = _mm256_fmadd_ps(a0, b1, c41);
    c50 = _mm256_fmadd_ps(a1, b0, c50);
    c51 = _mm256_fmadd_ps(a1, b1, c51);
    a += MR;
    b += NR;
  }
  _mm256_storeu_ps(tile + 0, c00);
  _mm256_storeu_ps(tile + 8, c01);
  _mm256_storeu_ps(tile + 16, c10);
  _mm256_storeu_ps(tile + 24, c11);
  _mm256_storeu_ps(tile + 32, c20);
  _mm256_storeu_ps(tile + 40, c21);
  _mm256_storeu_ps(tile + 48, c30);
  _mm256_storeu_ps(tile + 56, c31);
  _mm256_storeu_ps(tile + 64, c40);
  _mm256_storeu_ps(tile + 72, c41);
  _mm256_storeu_ps(tile + 80, c50);
  _mm256_storeu_ps(tile + 88, c51);
}

static float *row_of(const Output *o, long m) {
  long ow = m % o->ow, t = m / o->ow;
  long oh = t % o->oh, n = t / o->oh;
  long y = oh * o->sy + o->ry, x = ow * o->sx + o->rx;
  return o->base + ((n * o->hf + y) * o->wf + x) * o->channels;
}

/* ---- the blocked product ------------------------------------------------ */

/*
 * C (M x N, described by out) = A (M x K) * B (K x N).
 *
 * B is packed whole first, then row blocks of C are dealt out dynamically:
 * two barriers per product, so that a thread the OS has descheduled (the
 * machine may be shared) holds up the others as little as possible.
 */
static void gemm(long M, long N, long K, const AOperand *a, const Matrix *b,
                 const Output *out) {
  long panels = (N + NR - 1) / NR;
  long blocks = (K + KC - 1) / KC;
  float *bp = aligned_alloc(64, sizeof(float) * KC * NR * panels * blocks);
  long tasks = (M + MC - 1) / MC;
  int threads = tasks * (long)N * K < 4L * 1024 * 1024 ? 1 : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    float *ap = aligned_alloc(64, sizeof(float) * KC * MC);
    float tile[MR * NR] __attribute__((aligned(64)));
#pragma omp for schedule(static)
    for (long q = 0; q < blocks * panels; q++) {
      long kb = q / panels, p = q % panels;
      long k0 = kb * KC;
      long kc = K - k0 < KC ? K - k0 : KC;
      long cols = N - p * NR < NR ? N - p * NR : NR;
      pack_b(b, k0, kc, p * NR, cols, bp + (kb * panels + p) * KC * NR);
    }
#pragma omp for schedule(dynamic, 1)
    for (long task = 0; task < tasks; task++) {
      long i0 = task * MC;
      long rows = M - i0 < MC ? M - i0 : MC;
      for (long kb = 0; kb < blocks; kb++) {
        long k0 = kb * KC;
        long kc = K - k0 < KC ? K - k0 : KC;
        for (long r = 0; r < rows; r += MR) {
          long mr = rows - r < MR ? rows - r : MR;
          pack_a(a, i0 + r, mr, k0, kc, ap + r * kc);
        }
        for (long r = 0; r < rows; r += MR) {
          long mr = rows - r < MR ? rows - r : MR;
          float *dst[MR];
          for (long i = 0; i < mr; i++) dst[i] = row_of(out, i0 + r + i);
          for (long p = 0; p < panels; p++) {
            long cols = N - p * NR < NR ? N - p * NR : NR;
            kernel_6x16(kc, ap + r * kc, bp + (kb * panels + p) * KC * NR,
                        tile);
            for (long i = 0; i < mr; i++) {
              float *c = dst[i] + p * NR * out->cs;
              const float *t = tile + i * NR;
              if (k0 == 0) {
                for (long j = 0; j < cols; j++) c[j * out->cs] = t[j];
              } else {
                for (long j = 0; j < cols; j++) c[j * out->cs] += t[j];
              }
            }
          }
        }
      }
    }
    free(ap);
  }
  free(bp);
}

#define FEW 8

/* ---- few output channels ------------------------------------------------ */

/*
 * With 1 to 7 output channels a 16-wide panel would be mostly padding, and
 * packing would cost as much as the arithmetic. These loops read each
 * in-image run of input channels once and use it for every output channel.
 */

static void axpy(float alpha, const float *x, float *y, long n) {
  __m256 a = _mm256_set1_ps(alpha);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, _mm256_loadu_ps(x + i),
                                            _mm256_loadu_ps(y + i)));
  }
  for (; i < n; i++) y[i] += alpha * x[i];
}

/* out[m, co] for a filter with few output channels. */
static void conv_few_outputs(const Im2col *g, const float *filter, long co,
                             float *out) {
  long taps = g->kh * g->kw * g->c;
  float *wt = malloc(sizeof(float) * taps * co); /* [co][tap] */
  for (long k = 0; k < taps; k++) {
    for (long o = 0; o < co; o++) wt[o * taps + k] = filter[k * co + o];
  }
  long rows = g->n * g->oh * g->ow;
  long c8 = g->c & ~7L;
#pragma omp parallel for schedule(static)
  for (long m = 0; m < rows; m++) {
    long ow = m % g->ow, t = m / g->ow;
    long oh = t % g->oh, n = t / g->oh;
    for (long o = 0; o < co; o++) {
      /* Four independent sums hide the FMA latency. */
      __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
      __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
      float tail = 0;
      for (long kh = 0; kh < g->kh; kh++) {
        long ih = oh * g->sh - g->top + kh;
        if (ih < 0 || ih >= g->h) continue;
        for (long kw = 0; kw < g->kw; kw++) {
          long iw = ow * g->sw - g->left + kw;
          if (iw < 0 || iw >= g->w) continue;
          const float *x = g->x + ((n * g->h + ih) * g->w + iw) * g->c;
          const float *w = wt + o * taps + (kh * g->kw + kw) * g->c;
          long c = 0;
          for (; c + 32 <= c8; c += 32) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(w + c), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + c + 8), _mm256_loadu_ps(w + c + 8), s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + c + 16), _mm256_loadu_ps(w + c + 16), s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + c + 24), _mm256_loadu_ps(w + c + 24), s3);
          }
          for (; c < c8; c += 8) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(w + c), s0);
          }
          for (; c < g->c; c++) tail += x[c] * w[c];
        }
      }
      float lanes[8];
      _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
      float sum = tail;
      for (int i = 0; i < 8; i++) sum += lanes[i];
      out[m * co + o] = sum;
    }
  }
  free(wt);
}

/* dw[tap, co] for a filter with few output channels. */
static void filter_grad_few_outputs(const Im2col *g, const float *dy, long co,
                                    float *dw) {
  long taps = g->kh * g->kw * g->c;
  long rows = g->n * g->oh * g->ow;
  int threads = omp_get_max_threads();
  float *partial = calloc((size_t)threads * taps * co, sizeof(float));
#pragma omp parallel
  {
    float *mine = partial + (long)omp_get_thread_num() * taps * co; /* [co][tap] */
#pragma omp for schedule(static)
    for (long m = 0; m < rows; m++) {
      long ow = m % g->ow, t = m / g->ow;
      long oh = t % g->oh, n = t / g->oh;
      for (long kh = 0; kh < g->kh; kh++) {
        long ih = oh * g->sh - g->top + kh;
        if (ih < 0 || ih >= g->h) continue;
        for (long kw = 0; kw < g->kw; kw++) {
          long iw = ow * g->sw - g->left + kw;
          if (iw < 0 || iw >= g->w) continue;
          const float *x = g->x + ((n * g->h + ih) * g->w + iw) * g->c;
          long k = (kh * g->kw + kw) * g->c;
          for (long o = 0; o < co; o++) {
            axpy(dy[m * co + o], x, mine + o * taps + k, g->c);
          }
        }
      }
    }
  }
  for (long k = 0; k < taps; k++) {
    for (long o = 0; o < co; o++) {
      float sum = 0;
      for (int t = 0; t < threads; t++) sum += partial[((long)t * co + o) * taps + k];
      dw[k * co + o] = sum;
    }
  }
  free(partial);
}

/* ---- exported entry points ---------------------------------------------- */

void cg_set_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

int cg_max_threads(void) { return omp_get_max_threads(); }

/* out[n, oh, ow, co] = sum x[n, oh*sh + kh - top, ow*sw + kw - left, c]
 *                          * w[kh, kw, c, co] */
void cg_conv2d(const float *x, int n, int h, int w, int c, const float *filter,
               int kh, int kw, int co, int sh, int sw, int top, int left,
               int oh, int ow, float *out) {
  AOperand a = {.kind = A_IM2COL,
                .g = {x, n, h, w, c, kh, kw, sh, sw, top, left, oh, ow}};
  if (co < FEW) {
    conv_few_outputs(&a.g, filter, co, out);
    return;
  }
  Matrix b = {filter, co, 1};
  Output o = {out, oh, ow, oh, ow, co, 1, 1, 0, 0, 1};
  gemm((long)n * oh * ow, co, (long)kh * kw * c, &a, &b, &o);
}

/* dw[kh, kw, c, co] = sum over n, oh, ow of
 *   x[n, oh*sh + kh - top, ow*sw + kw - left, c] * dy[n, oh, ow, co] */
void cg_conv2d_filter_grad(const float *x, int n, int h, int w, int c,
                           const float *dy, int oh, int ow, int co, int kh,
                           int kw, int sh, int sw, int top, int left,
                           float *dw) {
  AOperand a = {.kind = A_IM2COL_T,
                .g = {x, n, h, w, c, kh, kw, sh, sw, top, left, oh, ow}};
  if (co < FEW) {
    filter_grad_few_outputs(&a.g, dy, co, dw);
    return;
  }
  Matrix b = {dy, co, 1};
  long taps = (long)kh * kw * c;
  Output o = {dw, taps, 1, taps, 1, co, 1, 1, 0, 0, 1};
  gemm(taps, co, (long)n * oh * ow, &a, &b, &o);
}

/* The gradient of cg_conv2d with respect to x, given dy [n, oh, ow, co]:
 * dx [n, h, w, c]. Also the forward pass of a transposed convolution. */
void cg_conv2d_input_grad(const float *dy, int n, int oh, int ow, int co,
                          const float *filter, int kh, int kw, int c, int sh,
                          int sw, int top, int left, int h, int w, float *dx) {
  for (int ry = 0; ry < sh && ry < h; ry++) {
    /* Input rows ry, ry + sh, ... take taps fh = fy0, fy0 + sh, ... */
    int fy0 = ((ry + top) % sh + sh) % sh;
    int ty = fy0 < kh ? (kh - fy0 + sh - 1) / sh : 0;
    int rows = (h - ry + sh - 1) / sh;
    int starty = (ry + top - fy0) / sh - ty + 1;
    for (int rx = 0; rx < sw && rx < w; rx++) {
      int fx0 = ((rx + left) % sw + sw) % sw;
      int tx = fx0 < kw ? (kw - fx0 + sw - 1) / sw : 0;
      int cols = (w - rx + sw - 1) / sw;
      int startx = (rx + left - fx0) / sw - tx + 1;
      Output o = {dx, rows, cols, h, w, c, sh, sw, ry, rx, 1};
      if (ty == 0 || tx == 0) {
        for (long m = 0; m < (long)n * rows * cols; m++) {
          memset(row_of(&o, m), 0, sizeof(float) * c);
        }
        continue;
      }
      /* Sub-kernel [ty, tx, co, c], flipped in space, channels swapped. */
      long size = (long)ty * tx * co * c;
      float *sub = malloc(sizeof(float) * size);
      for (int u = 0; u < ty; u++) {
        int fy = fy0 + sh * (ty - 1 - u);
        for (int v = 0; v < tx; v++) {
          int fx = fx0 + sw * (tx - 1 - v);
          const float *from = filter + ((long)fy * kw + fx) * c * co;
          float *to = sub + ((long)u * tx + v) * co * c;
          for (int ci = 0; ci < c; ci++) {
            for (int o2 = 0; o2 < co; o2++) to[o2 * c + ci] = from[ci * co + o2];
          }
        }
      }
      AOperand a = {.kind = A_IM2COL,
                    .g = {dy, n, oh, ow, co, ty, tx, 1, 1, -starty, -startx,
                          rows, cols}};
      if (c < FEW && sh == 1 && sw == 1) {
        conv_few_outputs(&a.g, sub, c, dx);
      } else {
        Matrix b = {sub, c, 1};
        gemm((long)n * rows * cols, c, (long)ty * tx * co, &a, &b, &o);
      }
      free(sub);
    }
  }
}
