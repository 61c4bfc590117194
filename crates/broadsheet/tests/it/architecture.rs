//! The architecture's invariants, checked against the real dependency graph (`cargo
//! metadata`) and the sources: each crate may depend only on what ARCHITECTURE.md allows it,
//! and every source file opens with a `//!` line saying what it owns. A forbidden dependency
//! added to a manifest fails here with the crate, the dependency and the rule it breaks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the workspace root above crates/broadsheet")
        .to_path_buf()
}

/// Every workspace crate with its normal (not dev, not build) dependencies: the direct ones
/// by name, and every crate reachable through them.
struct Graph {
    direct: BTreeMap<String, BTreeSet<String>>,
    reachable: BTreeMap<String, BTreeSet<String>>,
}

fn graph() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The graph for this machine's platform: the others' crates need not be downloaded.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&version.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host");
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(&host)
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let name_of: BTreeMap<String, String> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or_default().to_owned(),
                p["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let members: BTreeSet<String> = meta["workspace_members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    // Normal dependencies of every package in the resolved graph.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve") {
        let id = node["id"].as_str().unwrap_or_default().to_owned();
        let deps = node["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].is_null())
            })
            .filter_map(|d| d["pkg"].as_str().map(str::to_owned))
            .collect();
        edges.insert(id, deps);
    }
    let mut direct = BTreeMap::new();
    let mut reachable = BTreeMap::new();
    for id in &members {
        let name = name_of[id].clone();
        let first: BTreeSet<String> = edges[id].iter().map(|d| name_of[d].clone()).collect();
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = edges[id].iter().collect();
        while let Some(d) = todo.pop() {
            if seen.insert(d.clone()) {
                todo.extend(edges.get(d).into_iter().flatten());
            }
        }
        direct.insert(name.clone(), first);
        reachable.insert(name, seen.iter().map(|d| name_of[d].clone()).collect());
    }
    Graph { direct, reachable }
}

/// What a crate must not reach (through any chain of normal dependencies), and why.
const FORBIDDEN_ANYWHERE: &[(&str, &[&str], &str)] = &[
    (
        "broadsheet-core",
        &[
            "tokio",
            "sqlx",
            "axum",
            "hyper",
            "reqwest",
            "tantivy",
            "lettre",
            "minijinja",
        ],
        "core does no I/O: no async runtime, database, HTTP, search or mail",
    ),
    (
        "broadsheet-ingest",
        &["tokio", "sqlx", "axum", "reqwest", "broadsheet-store"],
        "ingest is pure functions over bytes",
    ),
    (
        "broadsheet-syndication",
        &["tokio", "sqlx", "axum", "reqwest", "broadsheet-store"],
        "syndication does no I/O: no store, no HTTP",
    ),
    (
        "broadsheet-render",
        &["tokio", "sqlx", "axum", "reqwest", "broadsheet-store"],
        "render is data to HTML, nothing else",
    ),
    (
        "broadsheet-app",
        // reqwest (an HTTP client, for webhooks and feeds) brings tower-http and hyper with
        // it; the line is drawn at the server side.
        &["axum", "axum-core", "broadsheet-server"],
        "the application knows no HTTP server",
    ),
];

/// Crates no workspace crate but the listed ones may name as a direct dependency.
const ONLY_DIRECTLY: &[(&str, &[&str], &str)] = &[
    (
        "sqlx",
        &["broadsheet-store", "broadsheet-search"],
        "only the store and search crates know SQL",
    ),
    (
        "axum",
        &["broadsheet-server"],
        "only the server knows HTTP routing",
    ),
    (
        "tower-http",
        &["broadsheet-server"],
        "only the server knows HTTP",
    ),
    (
        "tower",
        &["broadsheet-server"],
        "only the server knows HTTP",
    ),
    ("http", &["broadsheet-server"], "only the server knows HTTP"),
    (
        "broadsheet-server",
        &["broadsheet"],
        "the HTTP layer is used by the binary alone",
    ),
    (
        "broadsheet-app",
        &["broadsheet-server", "broadsheet"],
        "the application sits under the server and the binary",
    ),
    ("broadsheet", &[], "nothing depends on the binary"),
    (
        "smtp-bench",
        &[],
        "the benchmark's tools are not a dependency",
    ),
];

fn violations(g: &Graph) -> Vec<String> {
    let mut found = Vec::new();
    for (krate, banned, why) in FORBIDDEN_ANYWHERE {
        let reach = g
            .reachable
            .get(*krate)
            .unwrap_or_else(|| panic!("{krate} is not a workspace crate"));
        for b in *banned {
            if reach.contains(*b) {
                found.push(format!("{krate} depends on {b}: {why}"));
            }
        }
    }
    for (dep, allowed, why) in ONLY_DIRECTLY {
        for (krate, deps) in &g.direct {
            if deps.contains(*dep) && !allowed.contains(&krate.as_str()) {
                found.push(format!("{krate} depends on {dep}: {why}"));
            }
        }
    }
    found
}

#[test]
fn every_crate_depends_only_on_what_its_invariant_allows() {
    let g = graph();
    assert!(
        g.direct.contains_key("broadsheet-app") && g.direct.len() >= 10,
        "the workspace was not read: {:?}",
        g.direct.keys().collect::<Vec<_>>()
    );
    let found = violations(&g);
    assert!(
        found.is_empty(),
        "forbidden dependencies:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_rules_catch_a_forbidden_dependency() {
    // The checker itself: a graph in which the application reaches axum (through a crate in
    // between) and core names sqlx is refused on both counts.
    let mut g = graph();
    g.reachable
        .get_mut("broadsheet-app")
        .expect("app")
        .insert("axum".into());
    g.direct
        .get_mut("broadsheet-core")
        .expect("core")
        .insert("sqlx".into());
    let found = violations(&g);
    assert!(
        found
            .iter()
            .any(|v| v.starts_with("broadsheet-app depends on axum")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v.starts_with("broadsheet-core depends on sqlx")),
        "{found:?}"
    );
}

#[test]
fn every_source_file_opens_with_what_it_owns() {
    let mut missing = Vec::new();
    let mut checked = 0;
    let mut todo = vec![workspace_root().join("crates")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read crates/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    todo.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                checked += 1;
                let text = std::fs::read_to_string(&path).expect("read a source file");
                if !text.starts_with("//!") {
                    missing.push(path.display().to_string());
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} source files found");
    assert!(
        missing.is_empty(),
        "source files without an opening `//!` doc line:\n{}",
        missing.join("\n")
    );
}
