//! The wire parsers against every real sample in ../shared/data: wire-samples, the IPTC ninjs
//! and NewsML-G2 examples, and 400+ feeds. No file may panic; every file gives items or a
//! reason; for a sample of each format chosen by reading the files, the headline, agency and
//! body are checked against what the file says.

use std::path::{Path, PathBuf};

use broadsheet_core::WireSignal;
use broadsheet_ingest::wire::{self, Parsed};

fn shared_data(what: &str) -> Option<PathBuf> {
    broadsheet_testkit::shared_data(what)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            // The JSON Schemas are not items.
            if p.file_name().is_some_and(|n| n == "schema") {
                continue;
            }
            files(&p, out);
        } else {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let skip = name.starts_with("LICENSE")
                || name == "MANIFEST.tsv"
                || name.ends_with(".md")
                || name.ends_with(".xsd");
            if !skip {
                out.push(p);
            }
        }
    }
}

fn parse_file(path: &Path) -> Result<Parsed, wire::WireError> {
    let bytes = std::fs::read(path).expect("read sample");
    let name = path.to_string_lossy().into_owned();
    std::panic::catch_unwind(|| wire::parse(&bytes, &name))
        .unwrap_or_else(|_| panic!("the parser panicked on {}", path.display()))
}

#[test]
fn every_shared_sample_parses_or_is_refused_with_a_reason() {
    let Some(data) = shared_data("wire corpus test") else {
        return;
    };
    let mut all = Vec::new();
    for dir in ["wire-samples", "ninjs", "newsml-g2", "feeds"] {
        files(&data.join(dir), &mut all);
    }
    assert!(all.len() > 500, "found only {} sample files", all.len());
    let (mut ok, mut refused, mut items) = (0, 0, 0);
    let dump = std::env::var_os("WIRE_DUMP").is_some();
    for path in &all {
        match parse_file(path) {
            Ok(p) => {
                ok += 1;
                items += p.items.len();
                for r in &p.rejected {
                    assert!(!r.reason.is_empty(), "{}: empty reason", path.display());
                }
                for it in &p.items {
                    assert!(!it.guid.is_empty(), "{}: item without guid", path.display());
                    assert!(
                        !it.body_html.contains("<script"),
                        "{}: unsanitised body",
                        path.display()
                    );
                }
                if dump {
                    let first = p.items.first();
                    println!(
                        "OK {} [{}] {} items, {} rejected | {:?} | {:?} | {:?} | v{:?} | {:.80}",
                        path.display(),
                        p.format,
                        p.items.len(),
                        p.rejected.len(),
                        first.map(|i| i.headline.as_str()),
                        first.map(|i| i.agency.as_str()),
                        first.map(|i| i.guid.as_str()),
                        first.map(|i| i.version),
                        first.map(|i| i.body_html.as_str()).unwrap_or("")
                    );
                    for r in &p.rejected {
                        println!("   rejected {}: {}", r.item, r.reason);
                    }
                }
            }
            Err(e) => {
                refused += 1;
                assert!(!e.reason.is_empty(), "{}: empty reason", path.display());
                if dump {
                    println!("ERR {}: {}", path.display(), e.reason);
                }
            }
        }
    }
    println!(
        "{} files: {ok} read ({items} items), {refused} refused with a reason",
        all.len()
    );
    // Most of the real samples are readable; the refused ones are the deliberately broken
    // feeds, NewsML 1.x and non-news documents.
    assert!(ok * 10 > all.len() * 8, "only {ok} of {} read", all.len());
}

fn one(rel: &str) -> Option<broadsheet_core::WireItem> {
    let data = shared_data(rel)?;
    let p = parse_file(&data.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(p.rejected.is_empty(), "{rel}: {:?}", p.rejected);
    Some(
        p.items
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{rel}: no item")),
    )
}

/// What the sample files say, read by hand: one sample (or more) of every format.
#[test]
fn samples_of_every_format_give_the_headline_agency_and_body_their_files_state() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (file, headline, agency, words of the body)
        (
            "wire-samples/ninjs/ninjs_embargoed.json",
            "Trouble is brewing for the future of beer",
            "360info",
            "What does torched earth taste like?",
        ),
        (
            "ninjs/examples/2.1/tt_text_image_2.json",
            "Militärövning i jätteformat hålls 2023",
            "TT",
            "Pandemin satte stopp för den stora internationella militärövningen",
        ),
        (
            "ninjs/examples/3.0/dpa_text.json",
            "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?",
            "dpa",
            "Für Lucien Favre war es",
        ),
        (
            "newsml-g2/examples/LISTING_2_NewsML-G2_Text_Document.xml",
            "Fed to halt QE to avert \"bubble\"",
            "Acme News and Media LLC",
            "",
        ),
        (
            "wire-samples/newsml-g2/tag_reuters.com_2014_newsml_KBN0FL0NM_version_10.xml",
            "Confident Assad launches new term in stronger position",
            "reuters.com",
            "",
        ),
        (
            "wire-samples/nitf/ap-nitf.xml",
            "Can trading pollution like stocks help fight climate change?",
            "AP",
            "",
        ),
        (
            "wire-samples/anpa-iptc7901-text/IPTC7901.txt",
            "Germany Social Democrats: Coalition talks with Merkel could fail",
            "dpa",
            "Negotiations between German conservatives headed by Chancellor Angela Merkel",
        ),
        (
            "wire-samples/anpa-iptc7901-text/ap_anpa-1.tst",
            "Deng has 30 points, short-handed Heat beat Hawks 115-111",
            "AP",
            "Luol Deng scored 30 points and Josh McRoberts had 19",
        ),
        (
            "wire-samples/atom-agency-feed/wenn.xml",
            "Suge Knight involved in fatal hit and run incident",
            "WENN Feed",
            "This is body content1.",
        ),
        (
            "feeds/feed-rs/rss2/rss_2.0_bbc.xml",
            "Marcus Aurelius",
            "In Our Time",
            "",
        ),
        (
            "feeds/jsonfeed-net/JsonFeedBlog.json",
            "Announcing JSON Feed",
            "JSON Feed",
            "We",
        ),
    ];
    for (rel, headline, agency, words) in cases {
        let Some(item) = one(rel) else {
            return;
        };
        assert_eq!(item.headline, *headline, "{rel}");
        assert_eq!(item.agency, *agency, "{rel}");
        assert!(!item.body_html.trim().is_empty(), "{rel}: empty body");
        assert!(
            item.body_html.contains(words),
            "{rel}: body lacks {words:?}: {:.300}",
            item.body_html
        );
    }
}

#[test]
fn samples_keep_versions_datelines_bylines_embargoes_and_picture_credits() {
    let Some(item) = one("wire-samples/anpa-iptc7901-text/ap_anpa-1.tst") else {
        return;
    };
    assert_eq!(item.version, 2, "1st Ld-Writethru is the second version");
    assert_eq!(item.dateline, "ATLANTA (AP)");
    assert_eq!(item.byline, "CHARLES ODUM, AP Sports Writer");
    let Some(item) = one("wire-samples/anpa-iptc7901-text/IPTC7901.txt") else {
        return;
    };
    assert_eq!(item.dateline, "Berlin (dpa)");
    assert_eq!(item.slugline, "Germany-politics");
    assert_eq!(item.urgency, Some(4));
    let Some(item) = one("wire-samples/ninjs/ninjs_embargoed.json") else {
        return;
    };
    assert_eq!(
        item.embargo.map(|t| t.to_rfc3339()).as_deref(),
        Some("2022-06-29T02:30:00+00:00")
    );
    assert_eq!(item.pictures.len(), 1);
    assert_eq!(item.pictures[0].credit.agency.as_deref(), Some("360info"));
    let Some(item) = one("wire-samples/newsml-g2/picture.xml") else {
        return;
    };
    let credit = &item.pictures[0].credit;
    assert_eq!(credit.photographer.as_deref(), Some("MARKO DJURICA"));
    assert_eq!(credit.agency.as_deref(), Some("REUTERS"));
    assert!(
        item.pictures[0]
            .caption
            .starts_with("A woman casts her ballot")
    );
    let Some(item) = one("wire-samples/nitf/ap-nitf.xml") else {
        return;
    };
    assert_eq!(
        item.byline, "BERNARD CONDON",
        "\"By\" is not part of the name"
    );
    assert_eq!(item.dateline, "NEW YORK");
    // Two versions of one Reuters story share the guid; the later has the larger version.
    let a =
        one("wire-samples/newsml-g2/tag_reuters.com_2016_newsml_L1N14N0FF_version_978556838.xml");
    let b =
        one("wire-samples/newsml-g2/tag_reuters.com_2016_newsml_L1N14N0FF_version_1542761538.xml");
    if let (Some(a), Some(b)) = (a, b) {
        assert_eq!(a.guid, b.guid);
        assert!(b.version > a.version);
    }
}

#[test]
fn kills_and_corrections_are_signalled() {
    let kill =
        br#"{"uri": "urn:x:1", "version": "3", "pubstatus": "canceled", "headline": "Withdrawn"}"#;
    let p = wire::parse(kill, "k.json").expect("ninjs");
    assert_eq!(p.items[0].signal, WireSignal::Kill);
    let g2 = br#"<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:2" version="2">
      <itemMeta><itemClass qcode="ninat:text"/><provider literal="AgencyX"/><pubStatus qcode="stat:canceled"/></itemMeta>
      <contentMeta><headline>KILL: story withdrawn</headline></contentMeta></newsItem>"#;
    let p = wire::parse(g2, "k.xml").expect("g2");
    assert_eq!(p.items[0].signal, WireSignal::Kill);
    assert_eq!(p.items[0].agency, "AgencyX");
    let corr = br#"<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:3" version="4">
      <itemMeta><itemClass qcode="ninat:text"/><signal qcode="sig:correction"/></itemMeta>
      <contentMeta><headline>Corrected story</headline></contentMeta>
      <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Text <script>alert(1)</script><b onclick="x()">bold</b></p></body></html></inlineXML></contentSet></newsItem>"#;
    let p = wire::parse(corr, "c.xml").expect("g2");
    assert_eq!(p.items[0].signal, WireSignal::Correction);
    assert!(
        !p.items[0].body_html.contains("script"),
        "{}",
        p.items[0].body_html
    );
    assert!(
        !p.items[0].body_html.contains("onclick"),
        "{}",
        p.items[0].body_html
    );
    assert!(
        p.items[0].body_html.contains("<b>bold</b>"),
        "{}",
        p.items[0].body_html
    );
}

#[test]
fn enormous_fields_and_wrong_encodings_are_reported_not_stored() {
    let huge = format!(
        r#"{{"uri": "urn:x:big", "headline": "{}", "body_html": "<p>x</p>"}}"#,
        "H".repeat(5000)
    );
    let p = wire::parse(huge.as_bytes(), "big.json").expect("json parses");
    assert!(p.items.is_empty());
    assert!(
        p.rejected[0].reason.contains("headline"),
        "{:?}",
        p.rejected
    );
    // A document that says UTF-8 but is Latin-1 is read, with the bad bytes replaced.
    let latin = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><nitf><head><docdata><doc-id id-string=\"n1\"/></docdata></head><body><body.head><hedline><hl1>Caf\xe9 prices</hl1></hedline></body.head><body.content><p>x</p></body.content></body></nitf>";
    let p = wire::parse(latin, "l.xml").expect("read");
    assert!(
        p.items[0].headline.starts_with("Caf"),
        "{:?}",
        p.items[0].headline
    );
    // Truncated JSON and XML get the parser's reason.
    assert!(
        wire::parse(b"{\"uri\": \"x\", ", "t.json")
            .expect_err("refused")
            .reason
            .contains("malformed JSON")
    );
    assert!(wire::parse(b"<rss version=\"2.0\"><channel><item><title>x", "t.xml").is_err());
}
