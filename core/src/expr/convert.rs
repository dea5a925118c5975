//! Conversions of Rust and JSON values into `Expr`.

use super::*;

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::str(s)
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::String(s.into())
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Self {
        Expr::str(s)
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

macro_rules! expr_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Expr {
            fn from(n: $t) -> Self {
                Expr::Number(n.into())
            }
        }
    )*};
}
expr_from_int!(i32, i64, u8, u16, u32, u64);

impl From<f64> for Expr {
    /// A non-finite float (which JSON cannot hold) becomes `0`.
    fn from(n: f64) -> Self {
        Expr::Number(serde_json::Number::from_f64(n).unwrap_or_else(|| 0.into()))
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Self {
        e.clone()
    }
}

impl From<Pseudo> for Expr {
    fn from(p: Pseudo) -> Self {
        Expr::Pseudo(p)
    }
}

impl<T: Into<Expr>> From<Vec<T>> for Expr {
    fn from(items: Vec<T>) -> Self {
        Expr::List(items.into_iter().map(Into::into).collect())
    }
}

impl From<serde_json::Value> for Expr {
    /// Intrinsic functions become their typed variants ([`Expr::from_json`]); JSON `null`
    /// becomes `AWS::NoValue` (CloudFormation has no null). A malformed intrinsic stays a
    /// plain map, which synthesis rejects when it reads the template back, naming where.
    fn from(v: serde_json::Value) -> Self {
        if let Ok(e) = Expr::from_json(&v) {
            return e;
        }
        literal(v)
    }
}

fn literal(v: serde_json::Value) -> Expr {
    {
        match v {
            serde_json::Value::Null => Expr::Pseudo(Pseudo::NoValue),
            serde_json::Value::Bool(b) => Expr::Bool(b),
            serde_json::Value::Number(n) => Expr::Number(n),
            serde_json::Value::String(s) => Expr::String(s.into()),
            serde_json::Value::Array(a) => Expr::List(a.into_iter().map(literal).collect()),
            serde_json::Value::Object(o) => {
                Expr::Map(o.into_iter().map(|(k, v)| (k, literal(v))).collect())
            }
        }
    }
}
