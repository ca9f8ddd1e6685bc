//! `pc-upgrade-mock`: the fake Partner Center as a program, for tests in any language.
//!
//! The arguments are parsed by hand: a handful of options do not justify adding an argument
//! parser to the dependencies of a crate that test code links.

use std::net::SocketAddr;
use std::process::ExitCode;

use pc_upgrade_mock::{FakeEntra, Fleet, MockServer};

const USAGE: &str = "\
usage: pc-upgrade-mock --addr 127.0.0.1:PORT [--fleet FILE] [--log FILE] [--token TOKEN]...
                       [--entra [--entra-refresh-token TOKEN]... [--entra-client-secret S]
                                [--entra-no-rotate] [--entra-expires-in SECONDS]]

A fake Partner Center product upgrades service. It checks every request against the spec
and answers like the service: the documented examples, or a fleet's scripted customers.
It prints its base URL as the first line on stdout, then serves until it is killed.

options:
  --addr ADDR    where to listen (port 0: any free port); default 127.0.0.1:0
  --fleet FILE   answer by the customers of this fleet (JSON; see the crate documentation)
  --log FILE     append every request as one JSON line: method, path, headers
                 (Authorization redacted), body, verdict, status
  --token TOKEN  accept this bearer token and refuse any other with 401 (repeatable;
                 without it, any non-empty token is accepted)
  --entra        also serve a fake Entra ID token endpoint at /{tenant}/oauth2/v2.0/token
                 (give the base URL as the sign-in authority); Partner Center calls then
                 need an access token it issued that has not expired. Its requests carry
                 secrets and are never logged.
  --entra-refresh-token TOKEN
                 a refresh token it accepts (repeatable); it rotates on each use
  --entra-client-secret SECRET
                 the client secret it requires (default: any)
  --entra-no-rotate
                 keep refresh tokens as they are, instead of rotating them
  --entra-expires-in SECONDS
                 the lifetime of the access tokens it issues (default 3600)
  -h, --help     this text";

struct Options {
    address: SocketAddr,
    fleet: Option<String>,
    log: Option<String>,
    tokens: Vec<String>,
    entra: Option<FakeEntra>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
        fleet: None,
        log: None,
        tokens: Vec::new(),
        entra: None,
    };
    let (mut entra_given, mut entra_options) = (false, false);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => {
                let text = value("--addr")?;
                options.address = text
                    .parse()
                    .map_err(|_| format!("--addr {text:?} is not an IP address and port"))?;
            }
            "--fleet" => options.fleet = Some(value("--fleet")?),
            "--log" => options.log = Some(value("--log")?),
            "--token" => options.tokens.push(value("--token")?),
            "--entra" => {
                entra_given = true;
                options.entra.get_or_insert_with(FakeEntra::new);
            }
            "--entra-refresh-token"
            | "--entra-client-secret"
            | "--entra-expires-in"
            | "--entra-no-rotate" => {
                entra_options = true;
                let entra = options.entra.take().unwrap_or_default();
                options.entra = Some(match arg.as_str() {
                    "--entra-refresh-token" => entra.refresh_token(value(&arg)?),
                    "--entra-client-secret" => entra.client_secret(value(&arg)?),
                    "--entra-expires-in" => {
                        let text = value(&arg)?;
                        let seconds = text.parse().map_err(|_| {
                            format!("--entra-expires-in {text:?} is not a number of seconds")
                        })?;
                        entra.expires_in(seconds)
                    }
                    _ => entra.rotate(false),
                });
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if entra_options && !entra_given {
        return Err("the --entra-… options go with --entra".into());
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("pc-upgrade-mock: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = MockServer::builder().address(options.address);
    if let Some(path) = &options.fleet {
        match Fleet::load(path) {
            Ok(fleet) => builder = builder.fleet(fleet),
            Err(error) => {
                let cause = std::error::Error::source(&error)
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default();
                eprintln!("pc-upgrade-mock: {path}: {error}{cause}");
                return ExitCode::from(2);
            }
        }
    }
    for token in &options.tokens {
        builder = builder.accept_token(token);
    }
    if let Some(entra) = options.entra.clone() {
        builder = builder.entra(entra);
    }
    if let Some(path) = &options.log {
        builder = builder.log(path);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pc-upgrade-mock: no async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match builder.start().await {
            Ok(server) => server,
            Err(error) => {
                eprintln!(
                    "pc-upgrade-mock: cannot listen on {}: {error}",
                    options.address
                );
                return ExitCode::FAILURE;
            }
        };
        println!("{}", server.base_url());
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // Serve until killed.
        std::future::pending::<()>().await;
        drop(server);
        ExitCode::SUCCESS
    })
}
