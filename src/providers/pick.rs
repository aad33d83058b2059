//! Parsing the user's `T` from a JSON body and reading the few fields a preset needs (the id,
//! the type, a timestamp) **in the same pass**.
//!
//! `T` is deserialized from `serde_json` through a thin wrapper: where `T` reads the top-level
//! object (or an object one level down) as a map, the wrapper reads each key first, and when
//! the key is one of the preset's fields it reads the value itself (a string, number, boolean
//! or null, borrowed where the JSON has no escape), keeps it, and hands `T` a replay of it.
//! Every other value goes straight from `serde_json` to `T`. So the body is scanned once, as a
//! hand-written receiver scans it.
//!
//! The wrapper answers only for the common shapes. Whenever `T` does not read the object as a
//! map (the default [`RawJson`](crate::providers::RawJson) keeps it as text), whenever a field
//! is not a scalar, and on any error at all, [`parse`] says so and the caller falls back to
//! reading the fields and `T` apart, exactly as before: the errors a delivery gets do not
//! depend on this module.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

/// A field a preset reads beside `T`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Field {
    /// A field of the top-level object.
    Top(&'static str),
    /// A field of the object under a top-level field (Slack's `event.type`).
    In(&'static str, &'static str),
}

/// A field's value, where it is a JSON scalar; `Compound` for an object or array.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'de> {
    Str(Cow<'de, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Null,
    Compound,
}

impl<'de> Scalar<'de> {
    /// The value as text, if it is a string.
    pub(crate) fn into_str(self) -> Option<Cow<'de, str>> {
        match self {
            Scalar::Str(text) => Some(text),
            _ => None,
        }
    }
}

/// An optional string field as a derived `Option<Cow<str>>` reads it: `Some(None)` when absent
/// or null, `None` when of another type.
pub(crate) fn optional_str(found: Option<Scalar<'_>>) -> Option<Option<Cow<'_, str>>> {
    match found {
        None | Some(Scalar::Null) => Some(None),
        Some(Scalar::Str(text)) => Some(Some(text)),
        Some(_) => None,
    }
}

/// An optional integer field as a derived `Option<i64>` reads it: `Some(None)` when absent or
/// null, `None` when of another type or out of range.
pub(crate) fn optional_i64(found: Option<Scalar<'_>>) -> Option<Option<i64>> {
    match found {
        None | Some(Scalar::Null) => Some(None),
        Some(Scalar::I64(n)) => Some(Some(n)),
        Some(Scalar::U64(n)) => i64::try_from(n).ok().map(Some),
        Some(_) => None,
    }
}

/// What one pass found: for each field, its first value, or `None` where the body has none.
pub(crate) type Found<'de, const N: usize> = [Option<Scalar<'de>>; N];

/// Parses `T` from `bytes` and reads `fields` in the same pass. `Some((T, found))` when both
/// were read; `Some((T, None))` when `T` was read but the pass could not see every field's
/// container as a map (then read the fields apart); `None` on any error (then do both apart,
/// for the error as it always was).
pub(crate) fn parse<'de, T: de::Deserialize<'de>, const N: usize>(
    bytes: &'de [u8],
    fields: [Field; N],
) -> Option<(T, Option<Found<'de, N>>)> {
    let mut state = State {
        fields,
        found: [const { None }; N],
        complete: true,
        seen_map: false,
        entered: [false; N],
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let body = T::deserialize(Picking {
        de: &mut de,
        state: &mut state,
        scope: None,
    })
    .ok()?;
    de.end().ok()?;
    let complete = state.complete && state.seen_map;
    Some((body, complete.then_some(state.found)))
}

struct State<'de, const N: usize> {
    fields: [Field; N],
    found: Found<'de, N>,
    /// False once a field's container was read by `T` other than as a map.
    complete: bool,
    /// Set when the wrapper's map of the current scope is entered.
    seen_map: bool,
    /// Per field: whether its container (for [`Field::In`]) was entered.
    entered: [bool; N],
}

impl<const N: usize> State<'_, N> {
    /// What to do with the value of `key` in `scope` (`None`: the top level). A field seen a
    /// second time (or a container entered twice) is left to the caller's own reader, which
    /// decides what a repeated field means.
    fn action(&mut self, scope: Option<&'static str>, key: &str) -> Action {
        for (i, field) in self.fields.iter().enumerate() {
            let (hit, enter) = match (*field, scope) {
                (Field::Top(name), None) => (name == key, false),
                (Field::In(outer, inner), Some(scope)) => (outer == scope && inner == key, false),
                (Field::In(outer, _), None) => (false, outer == key),
                (Field::Top(_), Some(_)) => (false, false),
            };
            let (Some(found), Some(entered)) = (self.found.get(i), self.entered.get_mut(i)) else {
                continue;
            };
            if hit {
                if found.is_some() {
                    self.complete = false;
                    return Action::Pass;
                }
                return Action::Capture(i);
            }
            if enter {
                if *entered {
                    self.complete = false;
                    return Action::Pass;
                }
                *entered = true;
                return Action::Enter(key_name(field));
            }
        }
        Action::Pass
    }
}

/// The container a nested field is in.
fn key_name(field: &Field) -> &'static str {
    match *field {
        Field::Top(name) | Field::In(name, _) => name,
    }
}

enum Action {
    Pass,
    Capture(usize),
    Enter(&'static str),
}

/// `serde_json`'s deserializer, with the maps of `scope` read through [`PickingMap`].
struct Picking<'s, 'de, D, const N: usize> {
    de: D,
    state: &'s mut State<'de, N>,
    scope: Option<&'static str>,
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                // `T` does not read a map here: the fields inside are not seen.
                self.state.complete = false;
                self.de.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'s, 'de, D, const N: usize> Picking<'s, 'de, D, N> {
    /// The inner deserializer, and `visitor` wrapped so that its map is read through
    /// [`PickingMap`].
    fn wrap<V>(self, visitor: V) -> (D, PickingVisitor<'s, 'de, V, N>) {
        let visitor = PickingVisitor {
            visitor,
            state: self.state,
            scope: self.scope,
        };
        (self.de, visitor)
    }
}

impl<'de, D: Deserializer<'de>, const N: usize> Deserializer<'de> for Picking<'_, 'de, D, N> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (de, visitor) = self.wrap(visitor);
        de.deserialize_any(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (de, visitor) = self.wrap(visitor);
        de.deserialize_map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let (de, visitor) = self.wrap(visitor);
        de.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (de, visitor) = self.wrap(visitor);
        de.deserialize_option(visitor)
    }

    /// `T` skips the value: it is read as any value, so that the fields inside are seen.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_any(visitor)
    }

    forward! {
        deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16();
        deserialize_u32(); deserialize_u64(); deserialize_u128(); deserialize_f32();
        deserialize_f64(); deserialize_char(); deserialize_str(); deserialize_string();
        deserialize_bytes(); deserialize_byte_buf(); deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq(); deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
    }
}

/// `T`'s visitor, whose map is read through [`PickingMap`].
struct PickingVisitor<'s, 'de, V, const N: usize> {
    visitor: V,
    state: &'s mut State<'de, N>,
    scope: Option<&'static str>,
}

macro_rules! pass {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.state.complete = false;
                self.visitor.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>, const N: usize> Visitor<'de> for PickingVisitor<'_, 'de, V, N> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.state.seen_map = true;
        self.visitor.visit_map(PickingMap {
            map,
            state: self.state,
            scope: self.scope,
            action: Action::Pass,
        })
    }

    pass! {
        visit_bool(bool); visit_i64(i64); visit_u64(u64); visit_f64(f64); visit_str(&str);
        visit_string(String); visit_bytes(&[u8]); visit_byte_buf(Vec<u8>);
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.state.complete = false;
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.state.complete = false;
        self.visitor.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.state.complete = false;
        self.visitor.visit_none()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.visitor.visit_some(Picking {
            de: d,
            state: self.state,
            scope: self.scope,
        })
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.state.complete = false;
        self.visitor.visit_newtype_struct(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.state.complete = false;
        self.visitor.visit_seq(seq)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.state.complete = false;
        self.visitor.visit_enum(data)
    }
}

/// A map whose keys are read first, so that the preset's fields are kept on the way to `T`.
struct PickingMap<'s, 'de, A, const N: usize> {
    map: A,
    state: &'s mut State<'de, N>,
    scope: Option<&'static str>,
    action: Action,
}

impl<'de, A: MapAccess<'de>, const N: usize> MapAccess<'de> for PickingMap<'_, 'de, A, N> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.map.next_key_seed(Text)? else {
            return Ok(None);
        };
        self.action = self.state.action(self.scope, &key);
        match key {
            Cow::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
            Cow::Owned(key) => seed.deserialize(de::value::StringDeserializer::new(key)),
        }
        .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match std::mem::replace(&mut self.action, Action::Pass) {
            Action::Pass => self.map.next_value_seed(seed),
            Action::Capture(slot) => self.map.next_value_seed(Capture {
                seed,
                state: &mut *self.state,
                slot,
            }),
            Action::Enter(outer) => {
                self.state.seen_map = false;
                let value = self.map.next_value_seed(Enter {
                    seed,
                    state: &mut *self.state,
                    outer,
                })?;
                if !self.state.seen_map {
                    self.state.complete = false;
                }
                self.state.seen_map = true;
                Ok(value)
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A key or string as text, borrowed from the body where it has no escape.
pub(crate) struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
    // Bytes as `String` reads them: UTF-8 or refused.
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        std::str::from_utf8(v)
            .map(Cow::Borrowed)
            .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        std::str::from_utf8(v)
            .map(|v| Cow::Owned(v.to_owned()))
            .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
    }
}

/// The value of an object under a top-level field, read through [`Picking`].
struct Enter<'s, 'de, S, const N: usize> {
    seed: S,
    state: &'s mut State<'de, N>,
    outer: &'static str,
}

impl<'de, S: DeserializeSeed<'de>, const N: usize> DeserializeSeed<'de> for Enter<'_, 'de, S, N> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Picking {
            de: d,
            state: self.state,
            scope: Some(self.outer),
        })
    }
}

/// A field's value: kept in its slot, and replayed to `T`.
struct Capture<'s, 'de, S, const N: usize> {
    seed: S,
    state: &'s mut State<'de, N>,
    slot: usize,
}

impl<'de, S: DeserializeSeed<'de>, const N: usize> DeserializeSeed<'de> for Capture<'_, 'de, S, N> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de>, const N: usize> Capture<'_, 'de, S, N> {
    fn keep<E: de::Error>(self, scalar: Scalar<'de>) -> Result<S::Value, E> {
        let replay = Replay {
            scalar: scalar.clone(),
            error: PhantomData,
        };
        if let Some(slot) = self.state.found.get_mut(self.slot) {
            *slot = Some(scalar);
        }
        self.seed.deserialize(replay)
    }

    fn compound(&mut self) {
        if let Some(slot) = self.state.found.get_mut(self.slot) {
            *slot = Some(Scalar::Compound);
        }
    }
}

impl<'de, S: DeserializeSeed<'de>, const N: usize> Visitor<'de> for Capture<'_, 'de, S, N> {
    type Value = S::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<S::Value, E> {
        self.keep(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Value, E> {
        self.keep(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<S::Value, E> {
        self.keep(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Value, E> {
        self.keep(Scalar::U64(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Value, E> {
        self.keep(Scalar::I64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Value, E> {
        self.keep(Scalar::F64(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<S::Value, E> {
        self.keep(Scalar::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<S::Value, E> {
        self.keep(Scalar::Null)
    }
    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<S::Value, A::Error> {
        self.compound();
        self.seed.deserialize(MapAccessDeserializer::new(map))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(mut self, seq: A) -> Result<S::Value, A::Error> {
        self.compound();
        self.seed.deserialize(SeqAccessDeserializer::new(seq))
    }
}

/// A kept scalar, handed to `T` as `serde_json` would have handed it.
struct Replay<'de, E> {
    scalar: Scalar<'de>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for Replay<'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.scalar {
            Scalar::Str(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
            Scalar::Str(Cow::Owned(text)) => visitor.visit_string(text),
            Scalar::U64(n) => visitor.visit_u64(n),
            Scalar::I64(n) => visitor.visit_i64(n),
            Scalar::F64(n) => visitor.visit_f64(n),
            Scalar::Bool(b) => visitor.visit_bool(b),
            Scalar::Null => visitor.visit_unit(),
            Scalar::Compound => Err(E::custom("a compound value cannot be replayed")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.scalar {
            Scalar::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        match self.scalar {
            Scalar::Str(Cow::Borrowed(text)) => {
                BorrowedStrDeserializer::new(text).deserialize_enum(name, variants, visitor)
            }
            Scalar::Str(Cow::Owned(text)) => {
                de::value::StringDeserializer::new(text).deserialize_enum(name, variants, visitor)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde::Deserialize;

    use super::{Field, Scalar, parse};

    #[derive(Deserialize, Debug, PartialEq)]
    struct Small {
        id: String,
        #[serde(rename = "type")]
        kind: Option<String>,
        amount: u64,
    }

    static ID_TYPE: [Field; 2] = [Field::Top("id"), Field::Top("type")];

    #[test]
    fn one_pass_reads_the_fields_and_the_body() {
        let body = br#"{"id":"evt_1","amount":5,"type":"invoice.paid","x":[1,{"id":"no"}]}"#;
        let (small, found) = parse::<Small, 2>(body, ID_TYPE).unwrap();
        assert_eq!(
            small,
            Small {
                id: "evt_1".into(),
                kind: Some("invoice.paid".into()),
                amount: 5
            }
        );
        let found = found.unwrap();
        assert_eq!(found[0], Some(Scalar::Str(Cow::Borrowed("evt_1"))));
        assert_eq!(found[1], Some(Scalar::Str(Cow::Borrowed("invoice.paid"))));
    }

    #[test]
    fn escaped_strings_are_read_owned_and_repeats_are_left_to_the_caller() {
        #[derive(Deserialize)]
        struct Ignore {}
        let body = br#"{"id":"ev\u0041","type":"t"}"#;
        let (_, found) = parse::<Ignore, 2>(body, ID_TYPE).unwrap();
        let found = found.unwrap();
        assert_eq!(found[0], Some(Scalar::Str(Cow::Owned("evA".into()))));
        // A repeated field: the caller's own reader decides (first wins, or an error).
        let body = br#"{"id":"a","type":"t","id":"b"}"#;
        assert!(parse::<Ignore, 2>(body, ID_TYPE).unwrap().1.is_none());
    }

    #[test]
    fn a_body_kept_as_text_is_not_picked() {
        let body = br#"{"id":"evt_1","type":"t"}"#;
        let (raw, found) = parse::<crate::providers::RawJson, 2>(body, ID_TYPE).unwrap();
        assert_eq!(raw.get(), r#"{"id":"evt_1","type":"t"}"#);
        assert!(found.is_none());
    }

    #[test]
    fn nested_fields_are_read_even_when_t_skips_them() {
        static FIELDS: [Field; 2] = [Field::Top("type"), Field::In("event", "type")];
        #[derive(Deserialize)]
        struct Outer {
            #[serde(rename = "type")]
            kind: String,
        }
        let body = br#"{"event":{"a":[1],"type":"app_mention"},"type":"event_callback"}"#;
        let (outer, found) = parse::<Outer, 2>(body, FIELDS).unwrap();
        assert_eq!(outer.kind, "event_callback");
        let found = found.unwrap();
        assert_eq!(found[1], Some(Scalar::Str(Cow::Borrowed("app_mention"))));
        // `T` keeps `event` as text: the type inside is not seen.
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Raw {
            event: crate::providers::RawJson,
        }
        let (_, found) = parse::<Raw, 2>(body, FIELDS).unwrap();
        assert!(found.is_none());
    }

    #[test]
    fn errors_and_other_shapes_are_left_to_the_caller() {
        assert!(parse::<Small, 2>(b"{", ID_TYPE).is_none());
        assert!(parse::<Small, 2>(br#"{"id":1,"amount":1}"#, ID_TYPE).is_none());
        assert!(parse::<Small, 2>(br#"{"id":"a","amount":1} x"#, ID_TYPE).is_none());
        let values = parse::<serde_json::Value, 2>(br#"[1]"#, ID_TYPE).unwrap();
        assert!(values.1.is_none());
        // Options and numbers are replayed as serde_json reads them.
        #[derive(Deserialize, PartialEq, Debug)]
        struct Numbers {
            id: Option<String>,
            #[serde(rename = "type")]
            kind: f64,
        }
        let (numbers, _) = parse::<Numbers, 2>(br#"{"id":null,"type":3}"#, ID_TYPE).unwrap();
        assert_eq!(
            numbers,
            Numbers {
                id: None,
                kind: 3.0
            }
        );
    }
}
