//! The `aga` command line as a library: parse arguments, run a subcommand, write its output.
//!
//! [`main_with`] is the whole program with its output streams passed in, so that tests can
//! drive the command line in-process; the `aga` binary calls it with the process's stdout and
//! stderr. Every user error is one line on stderr (`aga: error: …`) and exit status 2.

mod args;
mod battle;
mod commands;
mod env;
mod error;
mod parallel;
mod train;

pub use args::Cli;
pub use commands::{run, MAX_RUN_STEPS};
pub use error::CliError;

use clap::Parser;
use std::ffi::OsString;
use std::io::Write;

/// Run the command line on `args` (the first is the program name), writing normal output to
/// `out` and errors to `err`. Returns the exit status: 0 on success, 2 on any user error.
pub fn main_with<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e, args.len() <= 1, out, err),
    };
    match run(cli, out, err) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "aga: error: {}", one_line(&e.to_string()));
            2
        }
    }
}

/// A message folded onto one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Write a clap error as one line (help and version print in full, to `out`; `aga` alone prints
/// the help on stderr).
fn clap_error(e: clap::Error, alone: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = write!(out, "{}", e.render());
            return 0;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand if alone => {
            let _ = write!(err, "{}", e.render());
            return 2;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = writeln!(
                err,
                "aga: error: a subcommand is missing (add --help to see the subcommands)"
            );
            return 2;
        }
        _ => {}
    }
    let text = e.render().to_string();
    let body = text
        .split("\n\nUsage:")
        .next()
        .unwrap_or(&text)
        .split("\n\nFor more information")
        .next()
        .unwrap_or(&text);
    let line = one_line(body);
    let line = line.strip_prefix("error: ").unwrap_or(&line);
    let _ = writeln!(err, "aga: error: {line}");
    2
}
