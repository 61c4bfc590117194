//! `broadsheet demo`: install the demo site into the data directory.

use std::process::ExitCode;

use crate::cmd;
use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let store = cmd::open(&config).await?;
    let installed = broadsheet_demo::install(store.as_ref(), &config.media_dir()).await?;
    println!(
        "installed the demo site \"{}\" ({} sections, {} articles) in {}",
        installed.site_name,
        installed.sections,
        installed.articles,
        config.data.display()
    );
    Ok(ExitCode::SUCCESS)
}
