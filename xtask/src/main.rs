//! `cargo xtask`: maintainer commands. See `cargo xtask help`.

use std::process::ExitCode;

/// `cargo xtask docs-check [--json] PAGE...`: exit 0 clean, 1 drift, 2 a usage or I/O error
/// (an unknown flag, a page that cannot be read).
fn docs_check(root: &std::path::Path, args: &[&str]) -> ExitCode {
    const OPTIONS: &[&str] = &["--json", "--recorded"];
    let json = args.contains(&"--json");
    let recorded = args.contains(&"--recorded");
    if let Some(flag) = args
        .iter()
        .find(|a| a.starts_with('-') && !OPTIONS.contains(a))
    {
        eprintln!("docs-check: unknown option {flag:?}\n\n{}", xtask::USAGE);
        return ExitCode::from(2);
    }
    let paths: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !OPTIONS.contains(a))
        .collect();
    if paths.is_empty() {
        eprintln!(
            "docs-check needs at least one page (or folder, with --recorded)\n\n{}",
            xtask::USAGE
        );
        return ExitCode::from(2);
    }
    let report = if recorded {
        xtask::docs::check_recorded(root, &paths)
    } else {
        xtask::docs::check_files(root, &paths)
    };
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            eprintln!("docs-check: {error:#}");
            return ExitCode::from(2);
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("docs-check: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", report.render());
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = xtask::workspace_root();
    let result = match args.as_slice() {
        ["generate"] => {
            println!(
                "generating from {} (typify, progenitor)",
                xtask::codegen::SPEC
            );
            xtask::codegen::write(&root).map(|written| {
                for (file, changed) in written {
                    let what = if changed { "wrote    " } else { "unchanged" };
                    println!("{what} {}", file.display());
                }
                true
            })
        }
        ["generate", "--check"] | ["check"] => xtask::codegen::check(&root).map(|drift| {
            if drift.is_empty() {
                println!("generated code is up to date with openapi/");
                true
            } else {
                eprintln!("{}", xtask::codegen::report(&drift));
                false
            }
        }),
        ["docs-check", rest @ ..] => return docs_check(&root, rest),
        ["bench"] => xtask::measure::bench(&root, 3).map(|()| true),
        ["bench", "--fleet"] => xtask::fleet_bench::fleet(&root, usize::MAX).map(|()| true),
        ["bench", "--discover"] => xtask::fleet_bench::discover(&root).map(|()| true),
        ["bench", "--resume"] => xtask::fleet_bench::resume(&root).map(|()| true),
        ["bench", "--fleet", max] => match max.parse::<usize>() {
            Ok(max) => xtask::fleet_bench::fleet(&root, max).map(|()| true),
            Err(_) => {
                eprintln!("MAX must be a number of customers\n\n{}", xtask::USAGE);
                return ExitCode::from(2);
            }
        },
        ["bench", "--instructions"] => xtask::measure::instructions(&root, 2000).map(|()| true),
        ["bench", runs] => match runs.parse::<usize>() {
            Ok(runs) if runs > 0 => xtask::measure::bench(&root, runs).map(|()| true),
            _ => {
                eprintln!("RUNS must be a positive number\n\n{}", xtask::USAGE);
                return ExitCode::from(2);
            }
        },
        ["footprint"] => xtask::measure::footprint(&root, true).map(|()| true),
        ["footprint", "--no-build"] => xtask::measure::footprint(&root, false).map(|()| true),
        [] | ["help"] | ["--help"] | ["-h"] => {
            println!("{}", xtask::USAGE);
            Ok(true)
        }
        other => {
            eprintln!("unknown arguments: {}\n\n{}", other.join(" "), xtask::USAGE);
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
