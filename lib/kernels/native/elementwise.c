/*
 * Memory-bound kernels for the native backend: the broadcasting arithmetic,
 * reductions and index shuffles (slice, reverse, pads, transpose) that
 * instance norm, reflection padding and their gradients are made of.
 * tfjs's cpu backend runs these in JavaScript, with per-element index
 * arithmetic on its broadcasting paths; here they are plain loops over
 * [d0, d1, d2, d3] with a stride per operand and axis (0 = broadcast).
 */
#include <omp.h>
#include <stdlib.h>

#define PARALLEL_FROM (1L << 16)

/*
 * Memory-bound loops gain little from a second thread and lose much when
 * the OS has descheduled it (a shared machine): off unless asked for.
 */
static int elementwise_threads = 0;
static int parallel_ok(void) { return elementwise_threads; }
void cg_set_elementwise_threads(int on) { elementwise_threads = on; }

enum { OP_ADD = 1, OP_SUB = 2, OP_MUL = 3, OP_DIV = 4 };

/* out[i] = a[i . sa] op b[i . sb] over shape d, out contiguous. */
void cg_binary4(int op, const int *d, const float *a, const int *sa,
                const float *b, const int *sb, float *out) {
  long total = (long)d[0] * d[1] * d[2] * d[3];
  long outer = (long)d[0] * d[1];
#pragma omp parallel for schedule(static) if (total >= PARALLEL_FROM && parallel_ok())
  for (long q = 0; q < outer; q++) {
    long i0 = q / d[1], i1 = q % d[1];
    const float *pa = a + i0 * sa[0] + i1 * sa[1];
    const float *pb = b + i0 * sb[0] + i1 * sb[1];
    float *po = out + q * d[2] * d[3];
    for (long i2 = 0; i2 < d[2]; i2++) {
      const float *ra = pa + i2 * sa[2], *rb = pb + i2 * sb[2];
      float *ro = po + i2 * d[3];
      long s3a = sa[3], s3b = sb[3];
      switch (op) {
        case OP_ADD:
          for (long i = 0; i < d[3]; i++) ro[i] = ra[i * s3a] + rb[i * s3b];
          break;
        case OP_SUB:
          for (long i = 0; i < d[3]; i++) ro[i] = ra[i * s3a] - rb[i * s3b];
          break;
        case OP_MUL:
          for (long i = 0; i < d[3]; i++) ro[i] = ra[i * s3a] * rb[i * s3b];
          break;
        default:
          for (long i = 0; i < d[3]; i++) ro[i] = ra[i * s3a] / rb[i * s3b];
      }
    }
  }
}

/*
 * out[i0, i1, i2, i3] = a[m0[i0] + m1[i1] + m2[i2] + m3[i3]], or `fill`
 * where any map entry is negative. maps holds m0..m3 one after another.
 */
void cg_gather4(const int *d, const float *a, const int *maps, float *out,
                float fill) {
  const int *m0 = maps, *m1 = m0 + d[0], *m2 = m1 + d[1], *m3 = m2 + d[2];
  long total = (long)d[0] * d[1] * d[2] * d[3];
  long outer = (long)d[0] * d[1];
#pragma omp parallel for schedule(static) if (total >= PARALLEL_FROM && parallel_ok())
  for (long q = 0; q < outer; q++) {
    long i0 = q / d[1], i1 = q % d[1];
    float *po = out + q * d[2] * d[3];
    if (m0[i0] < 0 || m1[i1] < 0) {
      for (long i = 0; i < (long)d[2] * d[3]; i++) po[i] = fill;
      continue;
    }
    long base = (long)m0[i0] + m1[i1];
    for (long i2 = 0; i2 < d[2]; i2++) {
      float *ro = po + i2 * d[3];
      if (m2[i2] < 0) {
        for (long i = 0; i < d[3]; i++) ro[i] = fill;
        continue;
      }
      const float *ra = a + base + m2[i2];
      for (long i = 0; i < d[3]; i++) {
        ro[i] = m3[i] < 0 ? fill : ra[m3[i]];
      }
    }
  }
}

/*
 * out[i . so] += a[i] over shape d (a contiguous), with so = 0 on the
 * reduced axes; `size` is the output's length. Sums in double.
 */
void cg_sum4(const int *d, const float *a, const int *so, float *out,
             int size, float scale) {
  double *acc = calloc(size, sizeof(double));
  long n = 0;
  for (long i0 = 0; i0 < d[0]; i0++)
    for (long i1 = 0; i1 < d[1]; i1++)
      for (long i2 = 0; i2 < d[2]; i2++) {
        double *r = acc + i0 * so[0] + i1 * so[1] + i2 * so[2];
        const float *ra = a + n;
        if (so[3] == 0) {
          double s = 0;
          for (long i = 0; i < d[3]; i++) s += ra[i];
          r[0] += s;
        } else {
          for (long i = 0; i < d[3]; i++) r[i * so[3]] += ra[i];
        }
        n += d[3];
      }
  for (int i = 0; i < size; i++) out[i] = (float)(acc[i] * scale);
  free(acc);
}

enum { U_RELU = 1, U_STEP = 2, U_SQRT = 3, U_SQUARE = 4, U_NEG = 5, U_RSQRT = 6 };

/* out[i] = op(x[i]); `alpha` is Step's value for x <= 0. */
void cg_unary(int op, int n, const float *x, float *out, float alpha) {
#pragma omp parallel for schedule(static) if (n >= PARALLEL_FROM && parallel_ok())
  for (long i = 0; i < n; i++) {
    float v = x[i];
    switch (op) {
      case U_RELU:
        out[i] = v < 0 ? 0 : v;
        break;
      case U_STEP:
        out[i] = v != v ? v : (v > 0 ? 1.0f : alpha);
        break;
      case U_SQRT:
        out[i] = __builtin_sqrtf(v);
        break;
      case U_SQUARE:
        out[i] = v * v;
        break;
      case U_NEG:
        out[i] = -v;
        break;
      default:
        out[i] = 1.0f / __builtin_sqrtf(v);
    }
  }
}

/*
 * Instance norm over [n, hw, c]: per image and channel, y = gamma * xhat +
 * beta with xhat = (x - mean) * invstd, invstd = 1 / sqrt(var + eps).
 * Two passes over x instead of the dozen a composition of ops makes.
 */
void cg_instance_norm(const float *x, int n, int hw, int c,
                      const float *gamma, const float *beta, float eps,
                      float *y, float *xhat, float *invstd) {
  double *sum = malloc(sizeof(double) * c), *sq = malloc(sizeof(double) * c);
  float *mean = malloc(sizeof(float) * c);
  for (long b = 0; b < n; b++) {
    const float *xb = x + b * (long)hw * c;
    for (int k = 0; k < c; k++) sum[k] = 0;
    for (long p = 0; p < hw; p++)
      for (int k = 0; k < c; k++) sum[k] += xb[p * c + k];
    for (int k = 0; k < c; k++) {
      mean[k] = (float)(sum[k] / hw);
      sq[k] = 0;
    }
    for (long p = 0; p < hw; p++)
      for (int k = 0; k < c; k++) {
        double d = xb[p * c + k] - mean[k];
        sq[k] += d * d;
      }
    float *is = invstd + b * c;
    for (int k = 0; k < c; k++) is[k] = (float)(1.0 / __builtin_sqrt(sq[k] / hw + eps));
    float *yb = y + b * (long)hw * c, *hb = xhat + b * (long)hw * c;
    for (long p = 0; p < hw; p++)
      for (int k = 0; k < c; k++) {
        float h = (xb[p * c + k] - mean[k]) * is[k];
        hb[p * c + k] = h;
        yb[p * c + k] = h * gamma[k] + beta[k];
      }
  }
  free(sum);
  free(sq);
  free(mean);
}

/*
 * Its gradient, with g = dy * gamma and N = hw:
 *   dx = invstd * (g - mean(g) - xhat * mean(g * xhat))
 *   dgamma = sum(dy * xhat), dbeta = sum(dy)   (over n and hw)
 */
void cg_instance_norm_grad(const float *dy, const float *xhat,
                           const float *invstd, const float *gamma, int n,
                           int hw, int c, float *dx, float *dgamma,
                           float *dbeta) {
  double *sdy = calloc(c, sizeof(double)), *sdyh = calloc(c, sizeof(double));
  double *bdy = malloc(sizeof(double) * c), *bdyh = malloc(sizeof(double) * c);
  for (long b = 0; b < n; b++) {
    const float *db = dy + b * (long)hw * c, *hb = xhat + b * (long)hw * c;
    for (int k = 0; k < c; k++) bdy[k] = bdyh[k] = 0;
    for (long p = 0; p < hw; p++)
      for (int k = 0; k < c; k++) {
        bdy[k] += db[p * c + k];
        bdyh[k] += (double)db[p * c + k] * hb[p * c + k];
      }
    const float *is = invstd + b * c;
    float *xb = dx + b * (long)hw * c;
    float a[4096], m1[4096], m2[4096];
    int cc = c < 4096 ? c : 4096;
    for (int k = 0; k < cc; k++) {
      a[k] = gamma[k] * is[k];
      m1[k] = (float)(bdy[k] / hw);
      m2[k] = (float)(bdyh[k] / hw);
      sdy[k] += bdy[k];
      sdyh[k] += bdyh[k];
    }
    for (long p = 0; p < hw; p++)
      for (int k = 0; k < cc; k++) {
        xb[p * c + k] = a[k] * (db[p * c + k] - m1[k] - hb[p * c + k] * m2[k]);
      }
  }
  for (int k = 0; k < c; k++) {
    dgamma[k] = (float)sdyh[k];
    dbeta[k] = (float)sdy[k];
  }
  free(sdy);
  free(sdyh);
  free(bdy);
  free(bdyh);
}

/*
 * The gradient of a gather (cg_gather4) with no negative map entries:
 * dx[m0[i0] + m1[i1] + m2[i2] + m3[i3]] += dy[i] over dy's shape d. For
 * reflection padding this folds the border gradients back onto the pixels
 * they were copied from, in one pass.
 */
void cg_scatter_add4(const int *d, const float *dy, const int *maps,
                     float *dx, int dx_size) {
  const int *m0 = maps, *m1 = m0 + d[0], *m2 = m1 + d[1], *m3 = m2 + d[2];
  for (long i = 0; i < dx_size; i++) dx[i] = 0;
  const float *src = dy;
  for (long i0 = 0; i0 < d[0]; i0++)
    for (long i1 = 0; i1 < d[1]; i1++)
      for (long i2 = 0; i2 < d[2]; i2++) {
        float *row = dx + (long)m0[i0] + m1[i1] + m2[i2];
        for (long i = 0; i < d[3]; i++) row[m3[i]] += src[i];
        src += d[3];
      }
}
