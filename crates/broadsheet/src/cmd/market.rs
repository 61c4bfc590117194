//! `broadsheet market import FILE.csv`: load a market-data CSV through a column mapping given
//! as flags or as a small TOML file. Bad rows are reported with their line and skipped; good
//! rows land; importing again updates, never duplicates (bars are keyed by instrument and day).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use broadsheet_core::{InstrumentKind, NewInstrument, Symbol};
use broadsheet_ingest::market::{CsvMapping, Layout, parse_csv};
use serde::Deserialize;

use crate::cmd;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum MarketCommand {
    /// Import daily prices from a CSV file.
    ///
    /// Single-series files need --symbol; long files (a column names the instrument) and wide
    /// files (one column per instrument) make symbols from --symbol-prefix and the names found.
    /// Empty cells (holidays) are skipped. Exit status: 0 when every row was imported, 3 when
    /// some rows were rejected, 1 on an error that stopped the import.
    Import(ImportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayoutArg {
    Single,
    Long,
    Wide,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// TOML file with a [columns] table (layout, date, close, open, high, low, volume,
    /// symbol_column, skip_zero) and an [instrument] table (symbol, symbol_prefix, name, kind,
    /// unit, decimals, group); flags override it.
    #[arg(long, value_name = "FILE.toml")]
    pub mapping: Option<PathBuf>,
    /// Instrument kind: index, currency, commodity, stock, bond_yield or crypto.
    #[arg(long)]
    pub kind: Option<String>,
    /// Symbol of a single-series file (e.g. BRENT).
    #[arg(long)]
    pub symbol: Option<String>,
    /// Long and wide files: symbols are this prefix plus the instrument name (FX_ + "Japan").
    #[arg(long)]
    pub symbol_prefix: Option<String>,
    /// Display name (single-series files).
    #[arg(long)]
    pub name: Option<String>,
    /// Currency or unit of the values, e.g. "USD/bbl".
    #[arg(long)]
    pub unit: Option<String>,
    #[arg(long)]
    pub decimals: Option<u8>,
    #[arg(long, value_enum)]
    pub layout: Option<LayoutArg>,
    #[arg(long)]
    pub date_column: Option<String>,
    #[arg(long)]
    pub close_column: Option<String>,
    #[arg(long)]
    pub symbol_column: Option<String>,
    /// Treat 0 as "no value" (placeholders for months not yet published).
    #[arg(long)]
    pub skip_zero: bool,
    /// Show the instrument(s) in the market strip on every page.
    #[arg(long, conflicts_with = "no_ticker")]
    pub ticker: bool,
    /// Take the instrument(s) out of the market strip.
    #[arg(long)]
    pub no_ticker: bool,
    /// Order in the strip and on the markets page (lower first).
    #[arg(long)]
    pub position: Option<i32>,
    /// Group on the markets page (default: by kind, e.g. "Commodities").
    #[arg(long)]
    pub group: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MappingFile {
    columns: CsvMapping,
    instrument: InstrumentSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct InstrumentSpec {
    symbol: Option<String>,
    symbol_prefix: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    unit: Option<String>,
    decimals: Option<u8>,
    group: Option<String>,
}

pub async fn run(config: Config, command: MarketCommand) -> anyhow::Result<ExitCode> {
    let MarketCommand::Import(args) = command;
    cmd::init_logging("warn");
    let mut spec = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str::<MappingFile>(&text)
                .with_context(|| format!("invalid mapping {}", path.display()))?
        }
        None => MappingFile::default(),
    };
    let columns = &mut spec.columns;
    if let Some(l) = args.layout {
        columns.layout = match l {
            LayoutArg::Single => Layout::Single,
            LayoutArg::Long => Layout::Long,
            LayoutArg::Wide => Layout::Wide,
        };
    }
    columns.date = args.date_column.clone().or(columns.date.take());
    columns.close = args.close_column.clone().or(columns.close.take());
    columns.symbol_column = args.symbol_column.clone().or(columns.symbol_column.take());
    columns.skip_zero |= args.skip_zero;
    let inst = &mut spec.instrument;
    let kind: InstrumentKind = args
        .kind
        .clone()
        .or(inst.kind.take())
        .context("--kind is required (index, currency, commodity, stock, bond_yield or crypto)")?
        .parse()?;
    let symbol = args.symbol.clone().or(inst.symbol.take());
    let prefix = args
        .symbol_prefix
        .clone()
        .or(inst.symbol_prefix.take())
        .unwrap_or_default();
    if spec.columns.layout == Layout::Single && symbol.is_none() {
        bail!("--symbol is required for a single-series file");
    }

    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let started = Instant::now();
    let parsed = parse_csv(&bytes, &spec.columns)
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    let store = cmd::open(&config).await?;
    let today = chrono::Utc::now().date_naive();
    let source = format!(
        "file:{}",
        args.file
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let mut rejected: Vec<(usize, String)> = parsed.rejected.clone();
    let (mut inserted, mut updated, mut unchanged, mut instruments) = (0, 0, 0, 0);

    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let bar = indicatif::ProgressBar::new(parsed.bars() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} points, {per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    for (key, rows) in &parsed.series {
        let sym = match (&symbol, key.is_empty()) {
            (Some(s), true) => Symbol::parse(s)?,
            _ => Symbol::derive(&prefix, key)?,
        };
        let existing = store.instrument_by_symbol(&sym).await?;
        let name = if key.is_empty() {
            args.name
                .clone()
                .or(inst.name.clone())
                .unwrap_or_else(|| sym.to_string())
        } else {
            key.clone()
        };
        let instrument = store
            .upsert_instrument(&NewInstrument {
                symbol: sym,
                name,
                kind,
                unit: args.unit.clone().or(inst.unit.clone()).unwrap_or_default(),
                decimals: args.decimals.or(inst.decimals).unwrap_or(2),
                group: args
                    .group
                    .clone()
                    .or(inst.group.clone())
                    .or(existing.as_ref().map(|e| e.group.clone()))
                    .unwrap_or_else(|| kind.default_group().to_owned()),
                position: args
                    .position
                    .or(existing.as_ref().map(|e| e.position))
                    .unwrap_or(0),
                in_ticker: if args.ticker {
                    true
                } else if args.no_ticker {
                    false
                } else {
                    existing.as_ref().is_some_and(|e| e.in_ticker)
                },
            })
            .await?;
        instruments += 1;
        let (counts, refused) = broadsheet_app::markets::record_bars(
            store.as_ref(),
            &instrument,
            rows.iter().map(|(line, bar)| (*line, *bar)),
            today,
            &source,
        )
        .await?;
        for (line, e) in refused {
            let series = if key.is_empty() {
                String::new()
            } else {
                format!("{key}: ")
            };
            rejected.push((line, format!("{series}{e}")));
        }
        inserted += counts.inserted;
        updated += counts.updated;
        unchanged += counts.unchanged;
        match &progress {
            Some(p) => p.inc(rows.len() as u64),
            None if parsed.series.len() > 1 => eprintln!(
                "market import: {} ({} points)",
                instrument.symbol,
                rows.len()
            ),
            None => {}
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    rejected.sort();
    for (line, reason) in &rejected {
        eprintln!("line {line}: {reason}");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "imported {} bars for {instruments} instruments ({inserted} new, {updated} updated, {unchanged} unchanged), {} empty cells skipped, {} rows rejected, in {secs:.2} s ({:.0} points/s)",
        inserted + updated + unchanged,
        parsed.empty,
        rejected.len(),
        (inserted + updated + unchanged) as f64 / secs.max(1e-6)
    );
    Ok(if rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
