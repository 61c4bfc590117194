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

/// Every `.rs` file below `root` (build output in `target/` left out).
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a source directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    todo.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn every_source_file_opens_with_what_it_owns() {
    let mut missing = Vec::new();
    let files = rust_files(&workspace_root().join("crates"));
    let checked = files.len();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read a source file");
        if !text.starts_with("//!") {
            missing.push(path.display().to_string());
        }
    }
    assert!(checked > 100, "only {checked} source files found");
    assert!(
        missing.is_empty(),
        "source files without an opening `//!` doc line:\n{}",
        missing.join("\n")
    );
}

/// The modules (files) of one crate's `src/` and which of them each refers to through
/// `crate::…` or `super::…` paths (in code and in `use` groups), tests left out.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = BTreeMap::new();
    for path in rust_files(src) {
        let rel = path.strip_prefix(src).expect("under src");
        let mut parts: Vec<String> = rel
            .with_extension("")
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|l| l == "mod") {
            parts.pop();
        }
        if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
            parts.clear();
        }
        let mut text = std::fs::read_to_string(&path).expect("read a source file");
        if let Some(at) = text.find("#[cfg(test)]\nmod tests") {
            text.truncate(at);
        }
        files.insert(parts.join("::"), text);
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    let longest = |path: &[&str]| {
        (1..=path.len())
            .rev()
            .map(|k| path[..k].join("::"))
            .find(|m| modules.contains(m))
    };
    let mut graph = BTreeMap::new();
    for (module, text) in &files {
        let parent: Vec<&str> = match module.rsplit_once("::") {
            Some((p, _)) => p.split("::").collect(),
            None => Vec::new(),
        };
        let mut targets = BTreeSet::new();
        let mut add = |base: &str, path: &str| {
            let mut full: Vec<&str> = if base == "crate" {
                Vec::new()
            } else {
                parent.clone()
            };
            let mut leading = base == "super";
            for segment in path.split("::").map(str::trim).filter(|s| !s.is_empty()) {
                // `super::super::x`: each further leading `super` climbs one more level.
                if leading && segment == "super" {
                    full.pop();
                } else {
                    leading = false;
                    full.push(segment);
                }
            }
            if let Some(t) = longest(&full)
                && &t != module
                && !t.is_empty()
            {
                targets.insert(t);
            }
        };
        for base in ["crate", "super"] {
            let needle = format!("{base}::");
            let mut rest = text.as_str();
            while let Some(at) = rest.find(&needle) {
                let before = rest[..at].chars().next_back();
                rest = &rest[at + needle.len()..];
                // Part of a longer path (`super::super::x` is read from its first `super`).
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                if let Some(group) = rest.strip_prefix('{') {
                    // `use crate::{a::B, c}`: each item, up to the group's end.
                    let end = group.find("};").unwrap_or(group.len());
                    for item in group[..end].split(',') {
                        let item = item.split('{').next().unwrap_or("").trim();
                        add(base, item.trim_end_matches("::"));
                    }
                    continue;
                }
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                add(base, path.trim_end_matches(':'));
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        v: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(v.to_owned(), Mark::Open);
        path.push(v.to_owned());
        for w in graph.get(v).into_iter().flatten() {
            match marks.get(w).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = path.iter().position(|p| p == w).unwrap_or(0);
                    let mut cycle = path[from..].to_vec();
                    cycle.push(w.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(w, graph, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(v.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for v in graph.keys() {
        if marks.get(v).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(c) = visit(v, graph, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_two_modules_of_a_crate_import_each_other_in_a_cycle() {
    let crates = workspace_root().join("crates");
    let mut found = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).expect("crates/") {
        let src = entry.expect("entry").path().join("src");
        if !src.is_dir() {
            continue;
        }
        let graph = module_graph(&src);
        checked += graph.len();
        if let Some(cycle) = find_cycle(&graph) {
            found.push(format!("{}: {}", src.display(), cycle.join(" -> ")));
        }
    }
    assert!(checked > 100, "only {checked} modules read");
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_check_sees_a_cycle_through_use_groups_and_super() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("admin")).expect("dir");
    std::fs::write(src.join("lib.rs"), "//! x\nmod admin;\nmod state;\n").expect("lib");
    std::fs::write(
        src.join("state.rs"),
        "//! x\nuse crate::{admin::wire::Row, other};\n",
    )
    .expect("state");
    std::fs::write(src.join("admin/mod.rs"), "//! x\nmod wire;\n").expect("admin");
    std::fs::write(
        src.join("admin/wire.rs"),
        "//! x\nfn f() { super::super::state::g(); }\n",
    )
    .expect("wire");
    let graph = module_graph(src);
    assert!(graph["state"].contains("admin::wire"), "{graph:?}");
    let cycle = find_cycle(&graph).expect("a cycle");
    assert!(cycle.contains(&"state".to_owned()), "{cycle:?}");
    std::fs::write(src.join("state.rs"), "//! x\nuse crate::other;\n").expect("state");
    assert_eq!(find_cycle(&module_graph(src)), None);
}

/// Which files of the binary's `src/` name the HTTP layer (`broadsheet_server`), and which of
/// them the HTTP state (`AppState`, the router, the listener).
fn server_mentions(src: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut server, mut state) = (BTreeSet::new(), BTreeSet::new());
    for path in rust_files(src) {
        let rel = path
            .strip_prefix(src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).expect("read a source file");
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        if code.contains("broadsheet_server") {
            server.insert(rel.clone());
        }
        if [
            "AppState",
            "broadsheet_server::router",
            "broadsheet_server::serve",
        ]
        .iter()
        .any(|w| code.contains(w))
        {
            state.insert(rel);
        }
    }
    (server, state)
}

/// The CLI never builds the HTTP state: only `serve` does. Every other command runs on the
/// application (`broadsheet_app`); the configuration names the server's settings and
/// `cmd::options` hands them over, and nothing else of the binary reaches the HTTP layer.
#[test]
fn only_serve_builds_the_http_state() {
    let src = workspace_root().join("crates/broadsheet/src");
    let (server, state) = server_mentions(&src);
    let allowed: BTreeSet<String> = ["cmd/serve.rs", "cmd/mod.rs", "config.rs"]
        .map(String::from)
        .into();
    assert!(
        server.is_subset(&allowed),
        "files of the binary that reach the HTTP layer (call `broadsheet_app` instead): {:?}",
        server.difference(&allowed).collect::<Vec<_>>()
    );
    assert_eq!(
        state,
        BTreeSet::from(["cmd/serve.rs".to_owned()]),
        "only `serve` builds the HTTP state"
    );
    // The check itself: a command that built the state would be found.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("cmd")).expect("mkdir");
    std::fs::write(
        dir.path().join("cmd/wire.rs"),
        "//! x\nlet s = broadsheet_server::AppState::over(app, search, options);\n",
    )
    .expect("write");
    let (server, state) = server_mentions(dir.path());
    assert!(server.contains("cmd/wire.rs") && state.contains("cmd/wire.rs"));
}
