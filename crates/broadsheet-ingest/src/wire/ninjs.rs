//! IPTC ninjs, versions 1.x (`headline`, `body_html`, `subject`), 2.x (`headlines`, `bodies`,
//! `subjects`, lower-case names) and 3.x (camelCase names, `renditions` as a list). Keys are
//! compared without case, so one reader serves all three. A top-level array is a batch.

use broadsheet_core::{Credit, WireItem, WirePicture, WireSignal};
use serde_json::{Map, Value};

use super::text::{parse_time, text_to_html};
use super::{Rejected, WireError, urgency, version};

pub fn parse(text: &str) -> Result<Vec<Result<WireItem, Rejected>>, WireError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| WireError::new(format!("malformed JSON: {e}")))?;
    let docs = unwrap(value, 0);
    if docs.is_empty() {
        return Err(WireError::new("the JSON array holds no items"));
    }
    Ok(docs
        .into_iter()
        .enumerate()
        .map(|(i, d)| match lower(d) {
            Value::Object(o) => item(&o).map_err(|reason| Rejected {
                item: format!("item {}", i + 1),
                reason,
            }),
            _ => Err(Rejected {
                item: format!("item {}", i + 1),
                reason: "a ninjs item must be a JSON object".into(),
            }),
        })
        .collect())
}

/// The items of a document: an array is a batch; an envelope without an id of its own
/// (`{"item": [...]}`, the AP Media API's `{"data": {"item": {...}}}`) holds its items.
fn unwrap(value: Value, depth: usize) -> Vec<Value> {
    match value {
        Value::Array(a) => a,
        Value::Object(mut o) if depth < 4 && !o.contains_key("uri") && !o.contains_key("guid") => {
            for key in ["item", "items", "data"] {
                if let Some(inner) = o.remove(key)
                    && (inner.is_array() || inner.is_object())
                {
                    return match inner {
                        Value::Array(a) => {
                            a.into_iter().flat_map(|v| unwrap(v, depth + 1)).collect()
                        }
                        other => unwrap(other, depth + 1),
                    };
                }
            }
            vec![Value::Object(o)]
        }
        other => vec![other],
    }
}

/// Every object key in lower case, recursively (ninjs 3 writes `versionCreated`).
fn lower(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), lower(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(lower).collect()),
        other => other,
    }
}

fn s<'a>(o: &'a Map<String, Value>, key: &str) -> &'a str {
    o.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
}

/// A string or number field as text.
fn scalar(o: &Map<String, Value>, key: &str) -> String {
    match o.get(key) {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The `value` of the entry of a role list (`headlines`, `descriptions`) with one of these
/// roles, else the first.
fn by_role<'a>(
    o: &'a Map<String, Value>,
    key: &str,
    roles: &[&str],
) -> Option<&'a Map<String, Value>> {
    let list = o.get(key)?.as_array()?;
    let objs: Vec<&Map<String, Value>> = list.iter().filter_map(Value::as_object).collect();
    objs.iter()
        .find(|e| roles.contains(&s(e, "role")))
        .or_else(|| objs.first())
        .copied()
}

fn names(o: &Map<String, Value>, key: &str) -> Vec<String> {
    match o.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(e) => ["name", "literal", "code", "uri"]
                    .iter()
                    .map(|k| s(e, k))
                    .find(|v| !v.is_empty())
                    .map(str::to_owned),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn body(o: &Map<String, Value>) -> String {
    for k in ["body_html", "body_xhtml"] {
        if !s(o, k).is_empty() {
            return s(o, k).to_owned();
        }
    }
    if let Some(list) = o.get("bodies").and_then(Value::as_array) {
        let objs: Vec<&Map<String, Value>> = list.iter().filter_map(Value::as_object).collect();
        let is_html = |e: &&&Map<String, Value>| {
            s(e, "contenttype").contains("html") || s(e, "role").starts_with("html")
        };
        if let Some(e) = objs.iter().find(is_html) {
            return s(e, "value").to_owned();
        }
        if let Some(e) = objs.first() {
            return text_to_html(s(e, "value"));
        }
    }
    // 1.x also writes `body_text` and role-suffixed `body_main`.
    if let Some(text) = o
        .iter()
        .filter(|(k, _)| k.starts_with("body_"))
        .find_map(|(_, v)| v.as_str().filter(|t| !t.trim().is_empty()))
    {
        return text_to_html(text);
    }
    String::new()
}

fn headline(o: &Map<String, Value>) -> String {
    let h = s(o, "headline");
    if !h.is_empty() {
        return h.to_owned();
    }
    if let Some(e) = by_role(o, "headlines", &["main", ""]) {
        return s(e, "value").to_owned();
    }
    if let Some(h) = o
        .iter()
        .filter(|(k, _)| k.starts_with("headline_"))
        .find_map(|(_, v)| v.as_str().filter(|t| !t.trim().is_empty()))
    {
        return h.to_owned();
    }
    s(o, "title").to_owned()
}

fn description(o: &Map<String, Value>) -> String {
    for k in ["description_text", "description_usage"] {
        if !s(o, k).is_empty() {
            return s(o, k).to_owned();
        }
    }
    by_role(o, "descriptions", &["summary", "caption", "text", ""])
        .map(|e| s(e, "value").to_owned())
        .unwrap_or_default()
}

fn byline(o: &Map<String, Value>) -> String {
    for k in ["byline", "by"] {
        if !s(o, k).is_empty() {
            return s(o, k).to_owned();
        }
    }
    let authors = names(o, "authors");
    if !authors.is_empty() {
        return authors.join(", ");
    }
    String::new()
}

/// The largest rendition's address: 1.x/2.x keep renditions in an object, 3.x in a list.
fn rendition_href(o: &Map<String, Value>) -> Option<String> {
    let list: Vec<&Map<String, Value>> = match o.get("renditions") {
        Some(Value::Object(m)) => m.values().filter_map(Value::as_object).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .filter(|r| !s(r, "href").is_empty())
        .max_by_key(|r| r.get("width").and_then(Value::as_u64).unwrap_or(0))
        .map(|r| s(r, "href").to_owned())
}

fn picture(o: &Map<String, Value>) -> WirePicture {
    let credit_line = ["creditline", "credit", "copyrightholder", "source"]
        .iter()
        .map(|k| s(o, k))
        .find(|v| !v.is_empty())
        .unwrap_or("");
    let by = byline(o);
    let mut caption = description(o);
    if caption.is_empty() {
        caption = s(o, "body_text").to_owned();
    }
    if caption.is_empty() {
        caption = headline(o);
    }
    WirePicture {
        href: rendition_href(o),
        caption,
        credit: Credit::parse(
            credit_line,
            Some(&by).filter(|b| !b.is_empty()).map(String::as_str),
        ),
    }
}

fn is_picture(o: &Map<String, Value>) -> bool {
    matches!(s(o, "type"), "picture" | "image" | "graphic")
}

fn signal(o: &Map<String, Value>) -> WireSignal {
    let status = s(o, "pubstatus").to_ascii_lowercase();
    if status.contains("cancel") || status.contains("withheld") {
        return WireSignal::Kill;
    }
    let signals = [names(o, "signal"), names(o, "signals")].concat();
    let joined = signals.join(" ").to_ascii_lowercase();
    if joined.contains("kill") || joined.contains("withdraw") || joined.contains("cancel") {
        WireSignal::Kill
    } else if joined.contains("correct") {
        WireSignal::Correction
    } else {
        WireSignal::None
    }
}

fn item(o: &Map<String, Value>) -> Result<WireItem, String> {
    let guid = [s(o, "guid"), s(o, "uri")]
        .into_iter()
        .find(|v| !v.is_empty())
        .unwrap_or("")
        .to_owned();
    if guid.is_empty() && headline(o).is_empty() && body(o).is_empty() {
        return Err("not a ninjs item: it has no uri, guid, headline or body".into());
    }
    let mut pictures = Vec::new();
    if is_picture(o) {
        pictures.push(picture(o));
    }
    if let Some(assoc) = o.get("associations") {
        let list: Vec<&Map<String, Value>> = match assoc {
            Value::Object(m) => m.values().filter_map(Value::as_object).collect(),
            Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        };
        pictures.extend(list.into_iter().filter(|a| is_picture(a)).map(picture));
    }
    let mut body = body(o);
    if body.is_empty() {
        let d = s(o, "description_html");
        body = if d.is_empty() {
            text_to_html(&description(o))
        } else {
            d.to_owned()
        };
    }
    let agency = ["copyrightholder", "source", "provider"]
        .iter()
        .map(|k| match o.get(*k) {
            Some(Value::Object(p)) => s(p, "name").to_owned(),
            _ => s(o, k).to_owned(),
        })
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    Ok(WireItem {
        format: "ninjs".into(),
        agency,
        guid,
        version: version(&scalar(o, "version")),
        urgency: urgency(&scalar(o, "urgency")).or_else(|| urgency(&scalar(o, "priority"))),
        slugline: s(o, "slugline").to_owned(),
        headline: headline(o),
        byline: byline(o),
        dateline: s(o, "located").to_owned(),
        body_html: body,
        subjects: [names(o, "subject"), names(o, "subjects")].concat(),
        embargo: parse_time(s(o, "embargoed")),
        language: s(o, "language").to_owned(),
        pictures,
        signal: signal(o),
        sent_at: parse_time(s(o, "versioncreated")).or_else(|| parse_time(s(o, "firstcreated"))),
        link: None,
    })
}
