//! ORUK's `Page` object.

use serde_json::{Value, json};

pub fn page_of(contents: Vec<Value>, total: u64, page_number: u64, per_page: u64) -> Value {
    let total_pages = total.div_ceil(per_page).max(1);
    json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": contents.len(),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_say_where_they_are() {
        let page = page_of(vec![json!(1), json!(2)], 5, 2, 2);
        assert_eq!(page["total_pages"], 3);
        assert_eq!(
            (page["first_page"].as_bool(), page["last_page"].as_bool()),
            (Some(false), Some(false))
        );
        let last = page_of(vec![json!(5)], 5, 3, 2);
        assert_eq!(last["last_page"], true);
        let empty = page_of(vec![], 0, 1, 50);
        assert_eq!(
            (empty["empty"].as_bool(), empty["total_pages"].as_u64()),
            (Some(true), Some(1))
        );
    }
}
