/**
 * The little dense linear algebra the GMM needs, on row-major Float64Array D×D matrices.
 * D is the number of velocity bins (1–16), so plain loops beat anything clever.
 */

/**
 * Lower Cholesky factor L of a symmetric positive-definite matrix (A = L·Lᵀ), or null when A is
 * not numerically positive definite (the caller decides whether to regularise or fail).
 */
export function choleskyLower(a: Float64Array, d: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diag = a[j * d + j];
    for (let p = 0; p < j; p++) diag -= l[j * d + p] * l[j * d + p];
    if (!(diag > 0) || !Number.isFinite(diag)) return null;
    const ljj = Math.sqrt(diag);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let s = a[i * d + j];
      for (let p = 0; p < j; p++) s -= l[i * d + p] * l[j * d + p];
      l[i * d + j] = s / ljj;
    }
  }
  return l;
}

/**
 * (L⁻¹)ᵀ for a lower-triangular L: scikit-learn's `precisions_cholesky_` for one component
 * (`solve_triangular(cov_chol, eye, lower=True).T`), an upper-triangular matrix P with P·Pᵀ = Σ⁻¹.
 */
export function inverseLowerTransposed(l: Float64Array, d: number): Float64Array {
  // Solve L·X = I column by column (forward substitution), then write Xᵀ.
  const p = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let q = 0; q < i; q++) s -= l[i * d + q] * x[q];
      x[i] = s / l[i * d + i];
    }
    // X[:, c] is column c of L⁻¹; it becomes row c of P.
    for (let i = 0; i < d; i++) p[c * d + i] = x[i];
  }
  return p;
}
