//! `hookscope shapes JOURNAL`: the shape of each kind of event, where it changed,
//! and a JSON Schema per kind.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

/// Arguments of `hookscope shapes`.
#[derive(Debug, Args)]
pub struct ShapesArgs {
    /// The journal or capture file to read.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Print the shapes as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write one JSON Schema (draft 2020-12) per kind into DIR, as TYPE.ACTION.schema.json.
    #[arg(long, value_name = "DIR")]
    pub json_schema: Option<PathBuf>,
}

/// Runs `shapes`.
pub fn run(args: ShapesArgs) -> anyhow::Result<ExitCode> {
    let records = super::load_warning(&args.journal)?;
    let shapes = crate::shapes::build(&records);
    if let Some(dir) = &args.json_schema {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        for shape in &shapes {
            let path = dir.join(shape.schema_file_name());
            let text = serde_json::to_string_pretty(&shape.json_schema())?;
            std::fs::write(&path, text + "\n")
                .with_context(|| format!("could not write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&shapes)?);
    } else {
        print!("{}", crate::shapes::render(&shapes));
    }
    Ok(ExitCode::SUCCESS)
}
