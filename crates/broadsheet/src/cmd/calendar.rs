//! `broadsheet calendar import FILE`: load an economic calendar from a CSV file (through a
//! column mapping given as flags or a small TOML file) or an iCalendar `.ics` file. Bad rows
//! are reported with their line and reason; good rows land through the same path as a
//! vendor's push and the admin (`broadsheet_app::calendar::record_rows`); importing the same
//! file again changes nothing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use broadsheet_ingest::calendar::{
    CalendarMapping, DateOrder, MAX_FILE_BYTES, parse_csv, parse_ics,
};

use crate::cmd;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum CalendarCommand {
    /// Import scheduled releases from a CSV or iCalendar (.ics) file.
    ///
    /// A CSV needs date, country and event columns (found by name: Date, Country, Event or
    /// Title); Time, Importance, Period, Actual, Forecast, Previous, Revised, Unit, Scale,
    /// Category, Indicator and Id are read when present. Semicolon files read decimal commas.
    /// Exit status: 0 when every row was imported, 3 when some rows were rejected, 1 on an
    /// error that stopped the import.
    Import(ImportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrderArg {
    Auto,
    Mdy,
    Dmy,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// TOML file naming the columns (date, time, timezone_column, country, title, indicator,
    /// category, importance, unit, scale, period, actual, consensus, previous, revised, id) and
    /// how the file writes things (timezone, date_order, decimal_comma, delimiter).
    #[arg(long, value_name = "FILE.toml")]
    pub mapping: Option<PathBuf>,
    /// The zone of times that name none (an IANA name, e.g. America/New_York; default UTC).
    #[arg(long)]
    pub timezone: Option<String>,
    /// How to read dates with slashes: month first (mdy, the default) or day first (dmy).
    #[arg(long, value_enum)]
    pub date_order: Option<OrderArg>,
    /// Numbers are written with a decimal comma (3,1).
    #[arg(long)]
    pub decimal_comma: bool,
}

pub async fn run(config: Config, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    let CalendarCommand::Import(args) = command;
    cmd::init_logging("warn");
    let mut mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str::<CalendarMapping>(&text)
                .with_context(|| format!("invalid mapping {}", path.display()))?
        }
        None => CalendarMapping::default(),
    };
    if let Some(tz) = &args.timezone {
        mapping.timezone = Some(tz.clone());
    }
    if let Some(order) = args.date_order {
        mapping.date_order = match order {
            OrderArg::Auto => DateOrder::Auto,
            OrderArg::Mdy => DateOrder::Mdy,
            OrderArg::Dmy => DateOrder::Dmy,
        };
    }
    if args.decimal_comma {
        mapping.decimal_comma = Some(true);
    }
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        bail!(
            "{} is over {} MB; split it",
            args.file.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        );
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let started = Instant::now();
    let is_ics = args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ics"))
        || bytes
            .trim_ascii_start()
            .get(..15)
            .is_some_and(|b| b.eq_ignore_ascii_case(b"BEGIN:VCALENDAR"));
    let parsed = if is_ics {
        parse_ics(&bytes, &mapping)
    } else {
        parse_csv(&bytes, &mapping)
    }
    .with_context(|| format!("cannot import {}", args.file.display()))?;
    let store = cmd::open(&config).await?;
    let app = cmd::app(&config, store, None).await?;
    let source = format!(
        "file:{}",
        args.file
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let rows = parsed.rows.len();
    let (recorded, refused) =
        broadsheet_app::calendar::record_rows(&app, parsed.rows, &source).await?;
    let mut rejected = parsed.rejected;
    rejected.extend(refused);
    rejected.sort();
    for (line, reason) in &rejected {
        eprintln!("line {line}: {reason}");
    }
    for (line, first) in &parsed.repeated {
        eprintln!("line {line}: repeats line {first}; skipped");
    }
    println!(
        "imported {rows} releases ({} new, {} updated, {} unchanged; {} new indicators), {} repeated rows skipped, {} rows rejected, in {:.2} s",
        recorded.inserted,
        recorded.updated,
        recorded.unchanged,
        recorded.new_indicators,
        parsed.repeated.len(),
        rejected.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(if rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
