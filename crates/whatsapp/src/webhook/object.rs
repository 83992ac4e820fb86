//! Items must be JSON objects. serde's derived structs also accept an array and fill the fields by
//! position, so `["wamid.X", "549…"]` would pass as a message: Meta never sends that, and an item
//! read that way would be garbage rather than kept raw.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// `T`, read only from a JSON object.
pub(crate) struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(ObjVisitor(PhantomData)).map(Obj)
    }
}

/// Like `serde_json::from_str`, refusing anything but an object.
pub(crate) fn from_str<'a, T: Deserialize<'a>>(s: &'a str) -> Result<T, serde_json::Error> {
    serde_json::from_str::<Obj<T>>(s).map(|o| o.0)
}

/// Like `serde_json::from_slice`, refusing anything but an object.
pub(crate) fn from_slice<'a, T: Deserialize<'a>>(b: &'a [u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice::<Obj<T>>(b).map(|o| o.0)
}

/// Unwraps a list of objects.
pub(crate) fn inner<T>(v: Vec<Obj<T>>) -> Vec<T> {
    v.into_iter().map(|o| o.0).collect()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct T<'a> {
        a: String,
        #[serde(borrow)]
        b: Option<&'a serde_json::value::RawValue>,
    }

    #[test]
    fn objects_only_and_borrowing_still_works() {
        let t: T = super::from_str(r#"{"a":"x","b":[1, 2]}"#).unwrap();
        assert_eq!(t.a, "x");
        assert_eq!(t.b.unwrap().get(), "[1, 2]");
        assert!(
            serde_json::from_str::<T>(r#"["x", null]"#).is_ok(),
            "serde alone accepts it"
        );
        assert!(super::from_str::<T>(r#"["x", null]"#).is_err());
        assert!(super::from_str::<T>("null").is_err());
    }
}
