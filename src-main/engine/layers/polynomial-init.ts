// The default filter scale of a polynomial kervolution used on its own (no batch
// norm, zero bias). With glorot's Var(z) = E[x²] for z = pᵀw, the second moment
// of the output y = (z + c)^d is
//   E[y²] = Σ_k C(2d, 2k) · c^(2d−2k) · (2k − 1)!! · Var(z)^k
// and for the default c = 1, d = 3 that is 1 + 15 + 45 + 15 = 76 times the input
// moment: a stack of such layers overflows float32 by its fourth layer. We shrink
// the variance (glorot × scale) to half the largest scale at which that moment map
// stays bounded through STACK_DEPTH layers from a unit input — a deep stack then
// settles at a finite scale instead of exploding (1/57 of glorot for c = 1, d = 3;
// glorot itself where it is already bounded, e.g. d = 1).

const STACK_DEPTH = 50;

function doubleFactorial(n: number): number {
  let r = 1;
  for (let k = n; k > 1; k -= 2) r *= k;
  return r;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** E[(c + z)^(2d)] for z ~ N(0, variance). */
export function polynomialSecondMoment(c: number, d: number, variance: number): number {
  let sum = 0;
  for (let k = 0; k <= d; k++) sum += binomial(2 * d, 2 * k) * c ** (2 * d - 2 * k) * doubleFactorial(2 * k - 1) * variance ** k;
  return sum;
}

function staysBounded(c: number, d: number, scale: number): boolean {
  const limit = 1e6 * Math.max(1, c ** (2 * d));
  let moment = 1;
  for (let layer = 0; layer < STACK_DEPTH; layer++) {
    moment = polynomialSecondMoment(c, d, scale * moment);
    if (!(moment < limit)) return false;
  }
  return true;
}

/** The glorot variance multiplier for a polynomial kervolution (≤ 1). */
export function polynomialVarianceScale(c: number, d: number): number {
  if (staysBounded(c, d, 1)) return 1;
  let lo = Math.log(1e-12);
  let hi = 0;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (staysBounded(c, d, Math.exp(mid))) lo = mid;
    else hi = mid;
  }
  return Math.exp(lo) / 2;
}
