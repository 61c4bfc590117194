//! Times `wire::parse` on files: `cargo run --release -p broadsheet-ingest --example wire_parse -- FILE...`
//! (bench/wire.sh uses it to split parsing from storing).

fn main() -> std::process::ExitCode {
    let mut items = 0usize;
    let mut secs = 0f64;
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let t = std::time::Instant::now();
        let parsed = broadsheet_ingest::wire::parse(&bytes, &path);
        secs += t.elapsed().as_secs_f64();
        match parsed {
            Ok(p) => items += p.items.len(),
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
    println!(
        "{items} items parsed and sanitised in {secs:.3} s = {:.0} items/s",
        items as f64 / secs.max(1e-9)
    );
    std::process::ExitCode::SUCCESS
}
