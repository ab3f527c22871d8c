//! Lenient field types for request bodies: numbers sent as floats or strings, participants
//! sent as ids or objects.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::core::ParticipantRef;

/// An integer that also accepts `5.0` and `"5"`, as JavaScript clients send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let n = match &v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        n.map(Int)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {v}")))
    }
}

/// A participant as either dialect names one: a bare id, or `{type, id?, uniqueName?, email?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant(pub ParticipantRef);

impl<'de> Deserialize<'de> for Participant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let text = |key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let r = match &v {
            Value::String(s) if !s.trim().is_empty() => ParticipantRef::Id(s.trim().to_string()),
            Value::Object(_) => {
                if let Some(id) = text("id")
                    .or_else(|| text("userId"))
                    .or_else(|| text("_id"))
                {
                    ParticipantRef::Id(id)
                } else if let Some(name) = text("uniqueName").or_else(|| text("username")) {
                    ParticipantRef::Username(name)
                } else if let Some(email) = text("email") {
                    ParticipantRef::Email(email)
                } else {
                    return Err(serde::de::Error::custom(
                        "a participant needs an id, uniqueName or email",
                    ));
                }
            }
            _ => {
                return Err(serde::de::Error::custom(
                    "a participant is a user id or an object with an id, uniqueName or email",
                ))
            }
        };
        Ok(Participant(r))
    }
}

/// The participant references of a list.
pub fn refs(list: Vec<Participant>) -> Vec<ParticipantRef> {
    list.into_iter().map(|p| p.0).collect()
}

// How the OpenAPI document describes these lenient types.
mod schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    impl utoipa::PartialSchema for super::Int {
        fn schema() -> RefOr<Schema> {
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::Integer))
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(r"^\s*[+-]?[0-9]+\s*$")),
                )
                .description(Some(
                    "An integer; JavaScript clients may send it as 5.0 or \"5\".",
                ))
                .into()
        }
    }

    impl utoipa::ToSchema for super::Int {}

    impl utoipa::PartialSchema for super::Participant {
        fn schema() -> RefOr<Schema> {
            // Any of the keys naming a user, the first present one wins (`id`, `userId`, `_id`,
            // then `uniqueName`, `username`, then `email`).
            const KEYS: [&str; 6] = ["id", "userId", "_id", "uniqueName", "username", "email"];
            let text = || ObjectBuilder::new().schema_type(Type::String);
            let named = |key: &str| {
                let mut o = ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("type", text().description(Some("`agent` or `user`")));
                for k in KEYS {
                    o = o.property(k, text());
                }
                o.property(key, text().pattern(Some(r"\S"))).required(key)
            };
            let mut any = AnyOfBuilder::new()
                .item(text().pattern(Some(r"\S")).description(Some("A user id.")));
            for k in KEYS {
                any = any.item(named(k));
            }
            any.description(Some(
                "A participant: a user id, or an object naming a user by `id` (`userId`, `_id`), \
                 `uniqueName` (`username`) or `email`.",
            ))
            .into()
        }
    }

    impl utoipa::ToSchema for super::Participant {}
}
