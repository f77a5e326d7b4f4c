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
    /// Also write one JSON Schema (draft 2020-12) per kind into DIR, as TYPE.ACTION.schema.json,
    /// shaped by the verified events only.
    #[arg(long, value_name = "DIR")]
    pub json_schema: Option<PathBuf>,
    /// Let events whose signature did not verify shape the schemas too (a forger
    /// could otherwise not, say, loosen the schema of a genuine kind).
    #[arg(long, requires = "json_schema")]
    pub include_unverified: bool,
}

/// Runs `shapes`.
pub fn run(args: ShapesArgs) -> anyhow::Result<ExitCode> {
    let records = super::load_warning(&args.journal)?;
    let shapes = crate::shapes::build(&records);
    if let Some(dir) = &args.json_schema {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let verified = |r: &&crate::record::Record| {
            r.verification.signature == crate::record::Signature::Valid
        };
        let shaping = if args.include_unverified {
            &shapes
        } else {
            let unverified = records.len() - records.iter().filter(verified).count();
            if unverified > 0 {
                eprintln!(
                    "{unverified} record(s) whose signature did not verify shape no schema (--include-unverified lets them)"
                );
            }
            &crate::shapes::build(records.iter().filter(verified))
        };
        for shape in shaping {
            let path = dir.join(shape.schema_file_name());
            let text = serde_json::to_string_pretty(&shape.json_schema())? + "\n";
            write_new(&path, text.as_bytes())
                .with_context(|| format!("could not write {}", path.display()))?;
            eprintln!(
                "wrote {}",
                crate::terminal::escape(&path.display().to_string())
            );
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&shapes)?);
    } else {
        print!("{}", crate::shapes::render(&shapes));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to a temporary file beside `path` (the owner's alone, whatever the
/// umask), then renames it into place: a link planted at `path` is replaced, never
/// written through.
fn write_new(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}
