use serde::Serialize;
use serde::de::{DeserializeOwned, Error as _};
use serde_json::Value;

/// Reads a request from JSON, with every struct written as an object.
///
/// serde's derive also reads a struct from an array of its fields in order, so
/// `["hello", ["Ada"]]` or `{"component": "hello", "limits": [500]}` would be job requests.
/// The API takes objects only (as its OpenAPI document says); this refuses the rest.
///
/// # Errors
/// Not JSON, not a `T`, or an array where `T` has a struct.
pub fn from_json<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    // Parsed straight from the bytes first: its errors say where (line and column).
    let value: T = serde_json::from_slice(bytes)?;
    let input: Value = serde_json::from_slice(bytes)?;
    // A struct read from an array serializes back as an object at the same place.
    if array_read_as_object(&input, &serde_json::to_value(&value)?) {
        return Err(serde_json::Error::custom("expected an object, found an array"));
    }
    Ok(value)
}

fn array_read_as_object(input: &Value, read: &Value) -> bool {
    match (input, read) {
        (Value::Array(_), Value::Object(_)) => true,
        (Value::Array(input), Value::Array(read)) => input.iter().zip(read).any(|(i, r)| array_read_as_object(i, r)),
        (Value::Object(input), Value::Object(read)) => {
            input.iter().any(|(key, i)| read.get(key).is_some_and(|r| array_read_as_object(i, r)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientMessage, ComponentConfig, JobRequest};

    #[test]
    fn objects_are_read_and_arrays_for_structs_are_refused() {
        let request: JobRequest =
            from_json(br#"{"component": "hello", "args": ["Ada"], "limits": {"fuel": 5}}"#).expect("a job request");
        assert_eq!(request.args, ["Ada"]);
        assert_eq!(request.limits.fuel, Some(5));
        // serde alone takes all of these.
        assert!(serde_json::from_slice::<JobRequest>(br#"["hello", ["Ada"]]"#).is_ok());
        assert!(from_json::<JobRequest>(br#"["hello", ["Ada"]]"#).is_err());
        assert!(from_json::<JobRequest>(br#"{"component": "hello", "limits": [500]}"#).is_err());
        assert!(from_json::<ComponentConfig>(br#"[["example.com"]]"#).is_err());
        let message = br#"{"type": "submit", "job": ["hello"]}"#;
        assert!(from_json::<ClientMessage>(message).is_err());
        // Arrays that are arrays stay fine.
        let config: ComponentConfig = from_json(br#"{"allowed_outbound_hosts": ["a.example"]}"#).expect("config");
        assert_eq!(config.allowed_outbound_hosts, ["a.example"]);
    }
}
