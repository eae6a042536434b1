//! Reading a saved ORUK feed: one service document, a `Page` (items in
//! `contents`), an array of services, or NDJSON (one service per line).

use serde_json::Value;

/// The feed could not be read at all (nothing is imported then).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: not JSON ({reason})")]
    BadLine { line: usize, reason: String },
    #[error("not JSON ({0})")]
    BadJson(String),
    #[error(
        "expected a service, a page with contents, an array of services, or one service per line"
    )]
    UnknownShape,
}

/// The service documents in `text`, in order.
pub fn service_documents(text: &str) -> Result<Vec<Value>, FeedError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(FeedError::Empty);
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(Value::Object(object)) => match object.get("contents") {
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(_) => Err(FeedError::UnknownShape),
            None => Ok(vec![Value::Object(object)]),
        },
        Ok(_) => Err(FeedError::UnknownShape),
        Err(whole) => {
            // Not one JSON value: perhaps one per line.
            if !trimmed.contains('\n') {
                return Err(FeedError::BadJson(whole.to_string()));
            }
            trimmed
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty())
                .map(|(i, line)| {
                    serde_json::from_str(line).map_err(|e| FeedError::BadLine {
                        line: i + 1,
                        reason: e.to_string(),
                    })
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_shape_is_read() {
        assert_eq!(service_documents(r#"{"id":"a"}"#).unwrap().len(), 1);
        assert_eq!(
            service_documents(r#"{"contents":[{"id":"a"},{"id":"b"}]}"#)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(service_documents(r#"[{"id":"a"}]"#).unwrap().len(), 1);
        assert_eq!(
            service_documents("{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(service_documents("  "), Err(FeedError::Empty));
        assert_eq!(service_documents("42"), Err(FeedError::UnknownShape));
        assert!(matches!(
            service_documents("{\"id\":1}\n{oops"),
            Err(FeedError::BadLine { line: 2, .. })
        ));
        assert!(matches!(
            service_documents("{oops"),
            Err(FeedError::BadJson(_))
        ));
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,200}") {
            let _ = service_documents(&text);
        }
    }
}
