//! The operator's files, checked before a run calls anything or writes anything: no two of
//! the customers file, the journal and the report may be one file (after links and relative
//! paths: `--report run.journal` would replace the journal), and the folders a run writes
//! in must exist and the files it writes at its end be writable now ([`writable`]: a dry run
//! checks them too, so its "run it with --yes" works); and a report is replaced whole, never
//! left half written ([`replace`]).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// A command line that cannot be run as given: exit 2, like clap's own refusals.
#[derive(Debug, PartialEq, Eq)]
pub struct Misuse(pub String);

impl std::fmt::Display for Misuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Misuse {}

/// A file an option names.
#[derive(Clone, Copy, Debug)]
pub struct Named<'a> {
    /// The option (`--report`).
    pub option: &'static str,
    /// The path given.
    pub path: &'a Path,
}

/// Refuses two options that name one file.
///
/// # Errors
/// [`Misuse`], naming both options and the file.
pub fn distinct(files: &[Named<'_>]) -> Result<(), Misuse> {
    for (index, first) in files.iter().enumerate() {
        for second in &files[index + 1..] {
            if same(first.path, second.path) {
                return Err(Misuse(format!(
                    "{} and {} name the same file ({}): the run would write over it; give \
                     each its own file",
                    first.option,
                    second.option,
                    second.path.display()
                )));
            }
        }
    }
    Ok(())
}

/// [`distinct`] over options that may not be given: `(option, path if given)`.
///
/// # Errors
/// [`Misuse`], naming both options and the file.
pub fn distinct_options(options: &[(&'static str, Option<&Path>)]) -> Result<(), Misuse> {
    let named: Vec<Named<'_>> = options
        .iter()
        .filter_map(|(option, path)| {
            Some(Named {
                option,
                path: (*path)?,
            })
        })
        .collect();
    distinct(&named)
}

/// Whether two paths are one file: the same file on disk (links followed, hard links
/// included) when both exist, else the same absolute path once the folder's links are
/// resolved.
fn same(a: &Path, b: &Path) -> bool {
    if a.exists() && b.exists() {
        return same_file::is_same_file(a, b).unwrap_or(false);
    }
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `path` made absolute, its folder's links resolved (the file itself may not exist yet).
fn resolved(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let folder = folder_of(path);
    Some(std::fs::canonicalize(folder).ok()?.join(name))
}

/// The folder a file is (or will be) in: `.` for a bare file name.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Refuses a file whose folder does not exist.
///
/// # Errors
/// [`Misuse`], naming the option and the folder.
pub fn folder_exists(file: Named<'_>) -> Result<(), Misuse> {
    let folder = folder_of(file.path);
    if folder.is_dir() {
        return Ok(());
    }
    Err(Misuse(format!(
        "{} {}: the folder {} does not exist",
        file.option,
        file.path.display(),
        folder.display()
    )))
}

/// Fails now, before any call, if a file the command writes at its end could not be written
/// then: a folder that does not exist is a [`Misuse`] (exit 2, as `--help` says); no
/// permission, a read-only disk, an error of the command's own (exit 1).
///
/// # Errors
/// As above.
pub fn writable(file: Named<'_>) -> anyhow::Result<()> {
    folder_exists(file)?;
    let temporary = temporary(file.path);
    std::fs::write(&temporary, b"")
        .and_then(|()| std::fs::remove_file(&temporary))
        .with_context(|| format!("{} {} cannot be written", file.option, file.path.display()))
}

/// [`writable`] for each option given: `(option, path if given)`.
///
/// # Errors
/// As [`writable`].
pub fn writable_options(options: &[(&'static str, Option<&Path>)]) -> anyhow::Result<()> {
    for (option, path) in options {
        if let Some(path) = path {
            writable(Named { option, path })?;
        }
    }
    Ok(())
}

/// The file a report is written to before it is renamed into place: beside it, so that the
/// rename replaces it whole (`report.csv.partial`).
pub fn temporary(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    path.with_file_name(name)
}

/// Puts `bytes` at `path`: written whole beside it, then renamed, so that a report is never
/// half a file, and one that cannot be written leaves the one before as it was.
///
/// # Errors
/// When the file cannot be written or renamed (the temporary one is then removed).
pub fn replace(path: &Path, out: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let temporary = temporary(path);
    let written = std::fs::write(&temporary, out)
        .with_context(|| format!("writing {}", temporary.display()))
        .and_then(|()| {
            std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(option: &'static str, path: &'a Path) -> Named<'a> {
        Named { option, path }
    }

    #[test]
    fn one_file_named_twice_is_refused_however_it_is_written() {
        let dir = std::env::temp_dir().join(format!("pc-upgrade-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let journal = dir.join("run.journal");
        std::fs::write(&journal, "x").unwrap();
        // The same file through `..`, and a report that does not exist yet.
        let roundabout = dir.join("sub/../run.journal");
        let error = distinct(&[named("--journal", &journal), named("--report", &roundabout)]);
        assert!(error.unwrap_err().0.contains("--journal and --report"));
        let new = dir.join("sub/../new.csv");
        let error = distinct(&[
            named("--report", &dir.join("new.csv")),
            named("--journal", &new),
        ]);
        assert!(error.is_err());
        assert!(distinct(&[named("--journal", &journal), named("--report", &new)]).is_ok());
        #[cfg(unix)]
        {
            let link = dir.join("link.journal");
            std::os::unix::fs::symlink(&journal, &link).unwrap();
            let hard = dir.join("hard.journal");
            std::fs::hard_link(&journal, &hard).unwrap();
            for other in [&link, &hard] {
                let error = distinct(&[named("--journal", &journal), named("--report", other)]);
                assert!(error.is_err(), "{}", other.display());
            }
        }
        assert!(folder_exists(named("--journal", Path::new("bare.journal"))).is_ok());
        let missing = dir.join("missing/run.journal");
        let error = folder_exists(named("--journal", &missing)).unwrap_err();
        assert!(error.0.contains("does not exist"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
