//! Prime-field elliptic curves in short Weierstrass form y² = x³ + ax + b (mod p) and the
//! parameter sets of 256-bit GOST R 34.10-2012 keys.

use std::sync::LazyLock;

use num_bigint::BigUint;
use num_traits::Zero;

/// Curve parameters: the field prime `p`, coefficients `a` and `b`, the base point and its
/// prime order `q`.
#[derive(Debug, PartialEq, Eq)]
pub struct Curve {
    pub name: &'static str,
    /// Object identifier of the parameter set, as written in certificates and PKCS#8 keys.
    pub oid: &'static str,
    pub p: BigUint,
    pub a: BigUint,
    pub b: BigUint,
    pub q: BigUint,
    pub base: Point,
}

/// A point of a curve in affine coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Point {
    Infinity,
    Affine { x: BigUint, y: BigUint },
}

fn hex_number(hex: &str) -> BigUint {
    BigUint::parse_bytes(hex.as_bytes(), 16).expect("a curve constant is hexadecimal")
}

/// id-GostR3410-2001-CryptoPro-A-ParamSet (1.2.643.2.2.35.1); constants from RFC 4357.
/// Many ESIA client certificates still use it with GOST R 34.10-2012 keys.
pub static CRYPTO_PRO_A: LazyLock<Curve> = LazyLock::new(|| Curve {
    name: "id-GostR3410-2001-CryptoPro-A-ParamSet",
    oid: "1.2.643.2.2.35.1",
    p: hex_number("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"),
    a: hex_number("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94"),
    b: hex_number("A6"),
    q: hex_number("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893"),
    base: Point::Affine { x: hex_number("1"), y: hex_number("8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14") },
});

/// id-tc26-gost-3410-2012-256-paramSetA (1.2.643.7.1.2.1.1.1); the Weierstrass form of the
/// twisted Edwards curve of RFC 7836. The curve has cofactor 4, and `q` is the
/// order of the base point's subgroup.
pub static TC26_256_A: LazyLock<Curve> = LazyLock::new(|| Curve {
    name: "id-tc26-gost-3410-2012-256-paramSetA",
    oid: "1.2.643.7.1.2.1.1.1",
    p: hex_number("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"),
    a: hex_number("C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335"),
    b: hex_number("295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513"),
    q: hex_number("400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67"),
    base: Point::Affine {
        x: hex_number("91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28"),
        y: hex_number("32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C"),
    },
});

/// Finds the supported parameter set with object identifier `oid`, as certificates and keys name it.
pub fn by_oid(oid: &str) -> Option<&'static Curve> {
    [&*CRYPTO_PRO_A, &*TC26_256_A].into_iter().find(|curve| curve.oid == oid)
}

impl Curve {
    fn field_sub(&self, left: &BigUint, right: &BigUint) -> BigUint {
        ((left + &self.p) - right % &self.p) % &self.p
    }

    fn field_inverse(&self, value: &BigUint) -> BigUint {
        value.modinv(&self.p).expect("a nonzero element of a prime field has an inverse")
    }

    /// Returns whether `point` satisfies the curve equation. The point at infinity counts.
    pub fn contains(&self, point: &Point) -> bool {
        match point {
            Point::Infinity => true,
            Point::Affine { x, y } => {
                if x >= &self.p || y >= &self.p {
                    return false;
                }
                let left = (y * y) % &self.p;
                let right = (x * x * x + &self.a * x + &self.b) % &self.p;
                left == right
            }
        }
    }

    pub fn add(&self, left: &Point, right: &Point) -> Point {
        let (Point::Affine { x: x1, y: y1 }, Point::Affine { x: x2, y: y2 }) = (left, right) else {
            return if *left == Point::Infinity { right.clone() } else { left.clone() };
        };
        let slope = if x1 == x2 {
            // Either P + (-P) or doubling a point with y = 0: both give the point at infinity.
            if (y1 + y2) % &self.p == BigUint::zero() {
                return Point::Infinity;
            }
            let numerator = (BigUint::from(3u8) * x1 * x1 + &self.a) % &self.p;
            let denominator = (BigUint::from(2u8) * y1) % &self.p;
            numerator * self.field_inverse(&denominator) % &self.p
        } else {
            self.field_sub(y2, y1) * self.field_inverse(&self.field_sub(x2, x1)) % &self.p
        };
        let x3 = self.field_sub(&self.field_sub(&(&slope * &slope), x1), x2);
        let y3 = self.field_sub(&(slope * self.field_sub(x1, &x3)), y1);
        Point::Affine { x: x3, y: y3 }
    }

    /// Computes `scalar · point` by double-and-add.
    ///
    /// NOTE: the running time depends on the scalar's bits, so a signer whose timing can be
    /// measured precisely leaks information about the nonce. The service signs only its own
    /// client secret a few times per sign-in, which makes such a measurement hard but not impossible.
    pub fn multiply(&self, scalar: &BigUint, point: &Point) -> Point {
        let mut result = Point::Infinity;
        for bit in (0..scalar.bits()).rev() {
            result = self.add(&result, &result);
            if scalar.bit(bit) {
                result = self.add(&result, point);
            }
        }
        result
    }

    /// Returns whether `point` is a point of the base point's subgroup other than infinity.
    pub fn is_valid_public_point(&self, point: &Point) -> bool {
        *point != Point::Infinity && self.contains(point) && self.multiply(&self.q, point) == Point::Infinity
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use num_traits::One;

    /// id-GostR3410-2001-TestParamSet (1.2.643.2.2.35.0), the curve of the examples in
    /// RFC 7091, appendix A.1.
    pub(crate) fn test_curve() -> Curve {
        Curve {
            name: "id-GostR3410-2001-TestParamSet",
            oid: "1.2.643.2.2.35.0",
            p: hex_number("8000000000000000000000000000000000000000000000000000000000000431"),
            a: hex_number("7"),
            b: hex_number("5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E"),
            q: hex_number("8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3"),
            base: Point::Affine { x: hex_number("2"), y: hex_number("08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8") },
        }
    }

    #[test]
    fn base_points_have_order_q() {
        for curve in [&*CRYPTO_PRO_A, &*TC26_256_A, &test_curve()] {
            assert!(curve.contains(&curve.base), "{}: the base point is not on the curve", curve.name);
            assert_eq!(curve.multiply(&curve.q, &curve.base), Point::Infinity, "{}: q · P is not infinity", curve.name);
            assert!(curve.is_valid_public_point(&curve.base), "{}", curve.name);
        }
    }

    /// Converts the twisted Edwards form of paramSetA from RFC 7836 (e = 1, d, and the base
    /// point (u, v)) to Weierstrass form with that RFC's formulas, and compares with the constants above.
    #[test]
    fn tc26_constants_match_edwards_form() {
        let curve = &*TC26_256_A;
        let p = &curve.p;
        let inverse = |value: BigUint| value.modinv(p).expect("invertible");
        let e = BigUint::one();
        let d = hex_number("0605F6B7C183FA81578BC39CFAD518132B9DF62897009AF7E522C32D6DC7BFFB");
        let u = hex_number("D");
        let v = hex_number("60CA1E32AA475B348488C38FAB07649CE7EF8DBE87F22E81F92B2592DBA300E7");

        let s = curve.field_sub(&e, &d) * inverse(BigUint::from(4u8)) % p;
        let t = (&e + &d) * inverse(BigUint::from(6u8)) % p;
        let a = curve.field_sub(&(&s * &s), &(BigUint::from(3u8) * &t * &t % p));
        let b = curve.field_sub(&(BigUint::from(2u8) * &t * &t * &t % p), &(&t * &s * &s % p));
        let one_plus_v = (BigUint::one() + &v) % p;
        let one_minus_v = curve.field_sub(&BigUint::one(), &v);
        let x = (&s * &one_plus_v % p * inverse(one_minus_v.clone()) + &t) % p;
        let y = &s * &one_plus_v % p * inverse(one_minus_v * &u % p) % p;

        assert_eq!(a, curve.a, "coefficient a");
        assert_eq!(b, curve.b, "coefficient b");
        assert_eq!(curve.base, Point::Affine { x, y }, "base point");
    }

    #[test]
    fn by_oid_finds_both_sets() {
        assert_eq!(by_oid("1.2.643.2.2.35.1").map(|curve| curve.name), Some("id-GostR3410-2001-CryptoPro-A-ParamSet"));
        assert_eq!(by_oid("1.2.643.7.1.2.1.1.1").map(|curve| curve.name), Some("id-tc26-gost-3410-2012-256-paramSetA"));
        assert!(by_oid("1.2.643.2.2.35.0").is_none(), "the test curve is not for real keys");
    }
}
