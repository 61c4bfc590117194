//! Turning a `CachedPage` into a response for one request: conditional GET (ETag first, then
//! Last-Modified) and content negotiation between brotli, gzip and identity.

use std::io::Write;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::cache::CachedPage;

/// Bodies smaller than this are sent as they are: compressing them gains nothing.
const MIN_COMPRESS: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// The best encoding the client accepts (q > 0), preferring brotli.
pub fn negotiate(headers: &HeaderMap) -> Encoding {
    let Some(value) = headers.get(ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let mut gzip = false;
    let mut brotli = false;
    for part in value.split(',') {
        let mut pieces = part.split(';');
        let name = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = pieces.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        if refused {
            continue;
        }
        match name.as_str() {
            "br" => brotli = true,
            "gzip" | "x-gzip" => gzip = true,
            "*" => {
                brotli = true;
                gzip = true;
            }
            _ => {}
        }
    }
    if brotli {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn etag_matches(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = etag.to_str().unwrap_or("").trim_start_matches("W/");
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

fn not_modified(page: &CachedPage, headers: &HeaderMap) -> bool {
    if let Some(inm) = headers.get(IF_NONE_MATCH) {
        return etag_matches(inm, &page.etag);
    }
    let (Some(since), Some(modified)) = (headers.get(IF_MODIFIED_SINCE), &page.last_modified)
    else {
        return false;
    };
    let parse = |v: &HeaderValue| {
        v.to_str()
            .ok()
            .and_then(|s| chrono::DateTime::parse_from_rfc2822(s).ok())
    };
    matches!((parse(since), parse(modified)), (Some(s), Some(m)) if m <= s)
}

pub fn gzip(data: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    Bytes::from(enc.finish().unwrap_or_default())
}

pub fn brotli(data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        lgwin: 22,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    Bytes::from(out)
}

/// The response to `headers` for `page`.
pub fn respond(page: &CachedPage, headers: &HeaderMap) -> Response {
    let compressible = page.body.len() >= MIN_COMPRESS;
    let mut builder = Response::builder()
        .header(CACHE_CONTROL, page.cache_control)
        .header(ETAG, page.etag.clone());
    if compressible {
        builder = builder.header(VARY, "Accept-Encoding");
    }
    if let Some(lm) = &page.last_modified {
        builder = builder.header(LAST_MODIFIED, lm.clone());
    }
    if page.status == StatusCode::OK && not_modified(page, headers) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    let (body, encoding) = match (compressible, negotiate(headers)) {
        (true, Encoding::Brotli) => (
            page.brotli.get_or_init(|| brotli(&page.body)).clone(),
            Some("br"),
        ),
        (true, Encoding::Gzip) => (
            page.gzip.get_or_init(|| gzip(&page.body)).clone(),
            Some("gzip"),
        ),
        _ => (page.body.clone(), None),
    };
    if let Some(e) = encoding {
        builder = builder.header(CONTENT_ENCODING, e);
    }
    builder
        .status(page.status)
        .header(CONTENT_TYPE, page.content_type)
        .body(Body::from(body))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_negotiate(accept: Option<&str>, expected: Encoding) {
        let mut h = HeaderMap::new();
        if let Some(a) = accept {
            h.insert(ACCEPT_ENCODING, HeaderValue::from_str(a).expect("header"));
        }
        assert_eq!(negotiate(&h), expected, "{accept:?}");
    }

    #[test]
    fn negotiation_follows_accept_encoding() {
        check_negotiate(None, Encoding::Identity);
        check_negotiate(Some("gzip, deflate, br"), Encoding::Brotli);
        check_negotiate(Some("gzip"), Encoding::Gzip);
        check_negotiate(Some("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        check_negotiate(Some("identity"), Encoding::Identity);
        check_negotiate(Some("*"), Encoding::Brotli);
        check_negotiate(Some("gzip;q=0"), Encoding::Identity);
        check_negotiate(Some(";;,,q=x"), Encoding::Identity);
    }

    #[test]
    fn weak_and_strong_etags_compare_weakly() {
        let ours = HeaderValue::from_static("W/\"abc\"");
        for (given, expected) in [
            ("W/\"abc\"", true),
            ("\"abc\"", true),
            ("\"x\", W/\"abc\"", true),
            ("*", true),
            ("\"abd\"", false),
        ] {
            assert_eq!(
                etag_matches(&HeaderValue::from_static(given), &ours),
                expected,
                "{given}"
            );
        }
    }
}
