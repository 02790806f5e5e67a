//! Constant-time scalar multiplication for SM2 encryption, built only from the `sm2`
//! crate's point arithmetic (complete projective addition and doubling, mixed addition
//! with an affine point, negation, `ConditionallySelectable`, batch normalisation): no
//! field arithmetic of our own.
//!
//! Scalars are written in signed radix 16: `k = Σ dᵢ·16ⁱ` with 65 digits `dᵢ ∈ [−8, 8]`
//! (64 nibbles, re-centred, plus the carry). A [`FixedBase`] table holds, for one point
//! `Q`, the affine multiples `1·Bᵣ … 8·Bᵣ` of `Bᵣ = 16^(s·r)·Q` for each row `r`, where
//! `s` is the row spacing in digits. `[k]Q` is then one mixed addition per digit plus
//! `4·(s − 1)` doublings, and no doubling at all with `s = 1`.
//!
//! Every digit is looked up by reading all eight entries of its row and keeping one with
//! `conditional_assign`, then negating with `conditional_assign`: which entry is used
//! never shows in the memory access pattern or the branches. The digits are secret and
//! are wiped after use; the row and digit *positions* are public and drive the loops.

use ::sm2::elliptic_curve::ff::PrimeField;
use ::sm2::elliptic_curve::group::Group;
use ::sm2::elliptic_curve::subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use ::sm2::elliptic_curve::BatchNormalize;
use ::sm2::{AffinePoint, ProjectivePoint, Scalar};
use zeroize::Zeroize;

/// Signed radix-16 digits of a 256-bit scalar: 64 nibbles and a carry.
pub const DIGITS: usize = 65;
/// Entries per row: the multiples 1…8 (a digit's sign is applied by negation).
const ENTRIES: usize = 8;

/// The digits of `k`, least significant first, wiped on drop.
struct Digits([i8; DIGITS]);

impl Drop for Digits {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Signed radix-16 recoding without branches on the scalar: `k = Σ dᵢ·16ⁱ`,
/// `dᵢ ∈ [−8, 8)` for i < 64 and `d₆₄ ∈ {0, 1}`.
fn recode(k: &Scalar) -> Digits {
    let mut bytes = k.to_repr(); // big-endian
    let mut d = Digits([0i8; DIGITS]);
    for i in 0..32 {
        let b = bytes[31 - i];
        d.0[2 * i] = (b & 0xf) as i8;
        d.0[2 * i + 1] = (b >> 4) as i8;
    }
    bytes.zeroize();
    for i in 0..DIGITS - 1 {
        // carry is 1 when the digit is ≥ 8 (arithmetic shift, no branch).
        let carry = (d.0[i] + 8) >> 4;
        d.0[i] -= carry << 4;
        d.0[i + 1] += carry;
    }
    d
}

/// `|d|` and whether `d < 0`, for `d ∈ [−8, 8]`, without branches.
fn split_sign(d: i8) -> (u8, Choice) {
    let mask = d >> 7; // 0 or −1
    let abs = ((d ^ mask) - mask) as u8;
    (abs, Choice::from((mask & 1) as u8))
}

/// `d·B` from a row `[1·B … 8·B]`: every entry is read, one is kept.
fn select_affine(row: &[AffinePoint; ENTRIES], d: i8) -> AffinePoint {
    let (abs, negative) = split_sign(d);
    let mut t = AffinePoint::IDENTITY;
    for (j, p) in row.iter().enumerate() {
        t.conditional_assign(p, abs.ct_eq(&(j as u8 + 1)));
    }
    let neg = -t;
    t.conditional_assign(&neg, negative);
    t
}

/// Precomputed affine multiples of one point, for constant-time `[k]Q`.
pub struct FixedBase {
    rows: Box<[[AffinePoint; ENTRIES]]>,
    /// Digits between two rows (1, 2, 4, …): the table has `⌈65 / spacing⌉` rows and a
    /// multiplication costs `4·(spacing − 1)` doublings on top of its 65 additions.
    spacing: usize,
}

impl FixedBase {
    /// The table for `q`. Each row costs 3 additions and 4 doublings (the even
    /// multiples are doublings), the next row's base `4·spacing − 3` more doublings of
    /// `8·B`, and the whole table one batched inversion.
    pub fn new(q: &ProjectivePoint, spacing: usize) -> FixedBase {
        assert!((1..=DIGITS).contains(&spacing), "spacing {spacing}");
        let rows = DIGITS.div_ceil(spacing);
        let mut points = Vec::with_capacity(rows * ENTRIES);
        let mut base = *q;
        for r in 0..rows {
            // row[j] = (j + 1)·B: odd multiples by one addition, even ones by doubling.
            let mut row = [base; ENTRIES];
            for j in 1..ENTRIES {
                row[j] = if j % 2 == 1 {
                    row[j / 2].double()
                } else {
                    row[j - 1] + base
                };
            }
            points.extend_from_slice(&row);
            if r + 1 < rows {
                // 16^spacing·B = 2^(4·spacing − 3)·(8·B)
                base = row[ENTRIES - 1];
                for _ in 0..4 * spacing - 3 {
                    base = base.double();
                }
            }
        }
        let affine = ProjectivePoint::batch_normalize(points.as_slice());
        let rows = affine
            .chunks_exact(ENTRIES)
            .map(|c| <[AffinePoint; ENTRIES]>::try_from(c).expect("chunks of ENTRIES"))
            .collect();
        FixedBase { rows, spacing }
    }

    /// `[k]Q` in constant time: 65 mixed additions, `4·(spacing − 1)` doublings.
    pub fn mul(&self, k: &Scalar) -> ProjectivePoint {
        let d = recode(k);
        let mut acc = ProjectivePoint::IDENTITY;
        for j in (0..self.spacing).rev() {
            if j + 1 != self.spacing {
                for _ in 0..4 {
                    acc = acc.double();
                }
            }
            for (r, row) in self.rows.iter().enumerate() {
                let i = r * self.spacing + j;
                if i < DIGITS {
                    acc += select_affine(row, d.0[i]);
                }
            }
        }
        acc
    }

    /// Bytes of precomputed points this table holds (the heap part of its size).
    pub fn table_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::sm2::elliptic_curve::Field;
    use rand_chacha::rand_core::SeedableRng;

    /// Scalars that exercise the recoding's edges: 1, 2, 8, 9, 15, 16, n−1, n−8, all
    /// nibbles 8, all nibbles 7, 2²⁵⁵, and random ones.
    fn scalars() -> Vec<Scalar> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let mut out: Vec<Scalar> = [1u64, 2, 8, 9, 15, 16, 0x88, 0x7777]
            .iter()
            .map(|&v| Scalar::from(v))
            .collect();
        out.push(-Scalar::ONE);
        out.push(-Scalar::from(8u64));
        for byte in [0x88u8, 0x77, 0x80, 0x08] {
            let mut repr = [byte; 32];
            repr[0] &= 0x7f; // stay below n
            out.push(Option::from(Scalar::from_repr(repr.into())).unwrap());
        }
        let mut top = [0u8; 32];
        top[0] = 0x80;
        out.push(Option::from(Scalar::from_repr(top.into())).unwrap());
        for _ in 0..24 {
            out.push(Scalar::random(&mut rng));
        }
        out
    }

    #[test]
    fn recoding_reconstructs_the_scalar() {
        for k in scalars() {
            let d = recode(&k);
            let mut acc = Scalar::ZERO;
            for &di in d.0.iter().rev() {
                acc *= Scalar::from(16u64);
                let abs = Scalar::from(di.unsigned_abs() as u64);
                acc += if di < 0 { -abs } else { abs };
                assert!((-8..=8).contains(&di));
            }
            assert_eq!(acc, k);
        }
    }

    #[test]
    fn tables_agree_with_the_crate() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let g = ProjectivePoint::GENERATOR;
        let p = g * Scalar::random(&mut rng);
        let tables: Vec<(ProjectivePoint, FixedBase)> = [1, 2, 3, 4, 65]
            .iter()
            .flat_map(|&s| [(g, FixedBase::new(&g, s)), (p, FixedBase::new(&p, s))])
            .collect();
        for k in scalars() {
            for q in [g, p] {
                let want = q * k;
                for (base, table) in &tables {
                    if *base == q {
                        assert_eq!(table.mul(&k), want, "spacing {}", table.spacing);
                    }
                }
            }
        }
        assert_eq!(
            FixedBase::new(&g, 1).mul(&Scalar::ZERO),
            ProjectivePoint::IDENTITY
        );
    }

    #[test]
    fn table_sizes() {
        let g = ProjectivePoint::GENERATOR;
        let point = std::mem::size_of::<AffinePoint>();
        assert_eq!(FixedBase::new(&g, 1).table_bytes(), 65 * 8 * point);
        assert_eq!(FixedBase::new(&g, 2).table_bytes(), 33 * 8 * point);
    }
}
