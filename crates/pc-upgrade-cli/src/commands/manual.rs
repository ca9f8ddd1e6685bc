//! `pc-upgrade completions` and `pc-upgrade man`: what clap renders of the command line. The
//! manual is one page with every command and option (clap_mangen's own subcommand list names
//! a page per command, `pc-upgrade-upgrade(1)`, which nobody installs).

use anyhow::Result;
use clap::CommandFactory;
use clap_mangen::Man;

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
    session.console.out_bytes(&page()?);
    Ok(ALL_WELL)
}

/// One page: the tool's name, synopsis, description and global options; then each command
/// with its synopsis, description and options (the global ones included); then the
/// credentials, the rate and the exit codes; then the version.
fn page() -> Result<Vec<u8>> {
    let mut cli = Cli::command();
    cli.build();
    let man = Man::new(cli.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("pc-upgrade {}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(name.clone())
            .bin_name(name.clone());
        let man = Man::new(sub.clone());
        out.extend_from_slice(format!(".SS \"{name}\"\n").as_bytes());
        let mut sections = Vec::new();
        man.render_description_section(&mut sections)?;
        man.render_synopsis_section(&mut sections)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(&mut sections)?;
        }
        if sub.get_after_help().is_some() {
            man.render_extra_section(&mut sections)?;
        }
        // The command's own sections are parts of its subsection here.
        for line in String::from_utf8_lossy(&sections).lines() {
            let line = match line.strip_prefix(".SH ").map(|h| h.trim_matches('"')) {
                Some("EXTRA") => ".TP\n.B EXAMPLES".to_owned(),
                Some(heading) => format!(".TP\n.B {heading}"),
                None => line.to_owned(),
            };
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    let mut extra = Vec::new();
    man.render_extra_section(&mut extra)?;
    let extra = String::from_utf8_lossy(&extra).replacen(
        ".SH EXTRA",
        ".SH \"CREDENTIALS, RATE AND EXIT CODES\"",
        1,
    );
    out.extend_from_slice(extra.as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and every option of every command is on the page; no page is named
    /// that does not exist.
    #[test]
    fn the_page_has_every_command_and_option() {
        let text = String::from_utf8(page().unwrap()).unwrap();
        let mut cli = Cli::command();
        cli.build();
        for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
            assert!(
                text.contains(&format!("pc-upgrade {}", sub.get_name())),
                "{}",
                sub.get_name()
            );
            for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    // roff writes a hyphen as \-.
                    let shown = format!("\\-\\-{}", long.replace('-', "\\-"));
                    assert!(text.contains(&shown), "{} --{long}", sub.get_name());
                }
            }
        }
        for option in ["customers", "journal", "yes", "only", "line\\-items"] {
            assert!(text.contains(&format!("\\-\\-{option}")), "--{option}");
        }
        assert!(
            !text.contains("pc-upgrade-upgrade("),
            "a page that does not exist"
        );
        assert!(text.contains("PC_UPGRADE_TOKEN"));
    }
}
