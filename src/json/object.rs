//! Nested objects read as objects only.
//!
//! A struct derived with serde reads its fields from a JSON array too, element by element in
//! declaration order, so `["https://x", null, "login.success"]` would fill a struct whose
//! documentation says object. [`MapOnly`] wraps a deserializer and turns the struct request
//! into a map request, which `serde_json` answers only for `{...}`; [`opt`] is the field
//! reader built on it.

use serde::de::{Deserialize, Deserializer, Visitor};

/// A deserializer that answers a struct request with a map request: an array is then a type
/// error (422) instead of fields in order. Meant for struct types (and `Box`es of them): every
/// other request goes to the inner deserializer's `deserialize_any`.
pub(crate) struct MapOnly<D>(pub(crate) D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct enum identifier
        ignored_any
    }
}

/// `T` read through [`MapOnly`].
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(MapOnly(d)).map(ObjectOnly)
    }
}

/// An optional nested object (`null` or absent is `None`; an array is refused).
pub(crate) fn opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<ObjectOnly<T>>::deserialize(d)?.map(|o| o.0))
}
