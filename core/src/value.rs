//! Typed property values for generated resources.
//!
//! Each scalar type accepts its literal Rust type or any [`Expr`] (an intrinsic function can
//! stand wherever a value can), but not a literal of another type: a `Bool` property does not
//! take `"yes"`, a `Str` property does not take `true`. That is what makes a wrong value type a
//! compile error.

use crate::expr::ExprMap;
use indexmap::IndexMap;

use crate::expr::Expr;

/// Converts a typed property value into the template value it renders as.
pub trait IntoExpr {
    /// The template value.
    fn into_expr(self) -> Expr;
}

impl IntoExpr for Expr {
    fn into_expr(self) -> Expr {
        self
    }
}

impl<T: IntoExpr> IntoExpr for Vec<T> {
    fn into_expr(self) -> Expr {
        Expr::List(self.into_iter().map(IntoExpr::into_expr).collect())
    }
}

impl<T: IntoExpr> IntoExpr for IndexMap<String, T> {
    fn into_expr(self) -> Expr {
        Expr::Map(self.into_iter().map(|(k, v)| (k, v.into_expr())).collect())
    }
}

impl<T: IntoExpr> IntoExpr for Box<T> {
    fn into_expr(self) -> Expr {
        (*self).into_expr()
    }
}

macro_rules! scalar {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub Expr);

        impl $name {
            /// The value as an [`Expr`].
            pub fn expr(&self) -> &Expr {
                &self.0
            }
        }

        impl From<Expr> for $name {
            fn from(e: Expr) -> Self {
                $name(e)
            }
        }

        impl From<&Expr> for $name {
            fn from(e: &Expr) -> Self {
                $name(e.clone())
            }
        }

        impl From<$name> for Expr {
            fn from(v: $name) -> Self {
                v.0
            }
        }

        impl IntoExpr for $name {
            fn into_expr(self) -> Expr {
                self.0
            }
        }
    };
}

scalar!(
    /// A string property value: a `&str`/`String` literal or any [`Expr`].
    Str
);
scalar!(
    /// An integer property value: an integer literal or any [`Expr`].
    Int
);
scalar!(
    /// A number property value: an integer or float literal or any [`Expr`].
    Num
);
scalar!(
    /// A boolean property value: `true`/`false` or any [`Expr`].
    Bool
);

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Str(Expr::from(s))
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Str(Expr::from(s))
    }
}

impl From<&String> for Str {
    fn from(s: &String) -> Self {
        Str(Expr::from(s.as_str()))
    }
}

impl From<bool> for Bool {
    fn from(b: bool) -> Self {
        Bool(Expr::Bool(b))
    }
}

macro_rules! int_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Int {
            fn from(n: $t) -> Self {
                Int(Expr::from(n))
            }
        }
        impl From<$t> for Num {
            fn from(n: $t) -> Self {
                Num(Expr::from(n))
            }
        }
    )*};
}
int_from!(i32, i64, u8, u16, u32, u64);

impl From<f64> for Num {
    fn from(n: f64) -> Self {
        Num(Expr::from(n))
    }
}

/// A `Key`/`Value` tag, the shape most taggable resources take.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// The tag key.
    pub key: Str,
    /// The tag value.
    pub value: Str,
}

impl Tag {
    /// A tag from a key and a value.
    pub fn new(key: impl Into<Str>, value: impl Into<Str>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl IntoExpr for Tag {
    fn into_expr(self) -> Expr {
        Expr::Map(ExprMap::from([
            ("Key", self.key.0),
            ("Value", self.value.0),
        ]))
    }
}

/// Inserts `key: value` into `props` when the value is set (used by generated code).
pub fn put<T: IntoExpr>(props: &mut ExprMap, key: &str, value: Option<T>) {
    if let Some(v) = value {
        props.insert(key, v.into_expr());
    }
}

/// Inserts `key: value` into `props` (used by generated code for required properties).
pub fn put_required<T: IntoExpr>(props: &mut ExprMap, key: &str, value: T) {
    props.insert(key, value.into_expr());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_accept_their_literals_and_any_expr() {
        assert_eq!(Str::from("a").0, Expr::str("a"));
        assert_eq!(Int::from(3).0, Expr::from(3));
        assert_eq!(Num::from(2.5).0, Expr::from(2.5));
        assert_eq!(Bool::from(true).0, Expr::Bool(true));
        assert_eq!(Bool::from(Expr::region()).0, Expr::region());
    }

    #[test]
    fn put_skips_unset_values() {
        let mut m = ExprMap::new();
        put::<Str>(&mut m, "A", None);
        put(&mut m, "B", Some(Str::from("b")));
        put_required(&mut m, "C", vec![Tag::new("k", "v")]);
        assert_eq!(
            serde_json::to_value(Expr::Map(m)).unwrap(),
            serde_json::json!({"B": "b", "C": [{"Key": "k", "Value": "v"}]})
        );
    }
}
