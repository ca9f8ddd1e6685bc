//! `pc-upgrade completions` and `pc-upgrade man`: what clap renders of the command line.

use anyhow::Result;
use clap::CommandFactory;

use super::Session;
use crate::args::Cli;
use crate::ending::ALL_WELL;

/// The shell's completions, on stdout.
pub fn completions(session: &Session<'_>, shell: clap_complete::Shell) -> Result<u8> {
    let mut command = Cli::command();
    // Into a buffer first: clap_complete panics on a closed stdout (`| head`).
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut command, "pc-upgrade", &mut text);
    session.console.out_bytes(&text);
    Ok(ALL_WELL)
}

/// The manual page (roff), on stdout.
pub fn man(session: &Session<'_>) -> Result<u8> {
    let mut text = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut text)?;
    session.console.out_bytes(&text);
    Ok(ALL_WELL)
}
