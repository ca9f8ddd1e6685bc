//! Microsoft's own clients against the runnable fake (`pc-upgrade-mock`, the program): the
//! bodies and headers the archived .NET SDK, the PowerShell module and the Java SDK send for
//! each operation (`tests/clients/*.json`, each naming the source files and commit they come
//! from) get the answers the service would give, on each client's path casing, and those
//! answers carry what each client's response models read. Also: bad values refused alike in
//! any casing, ASP.NET's JSON media types, PowerShell's hashtable bodies (forms) on every
//! operation, XML refused, a generated `MS-CorrelationId`, and no secret of any sign-in
//! grant in the log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use uuid::Uuid;

const FAKE: &str = env!("CARGO_BIN_EXE_pc-upgrade-mock");

/// The runnable fake, killed when dropped.
struct Fake {
    child: Child,
    url: String,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pc-upgrade-mock-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start(args: &[&str]) -> Fake {
    let mut child = Command::new(FAKE)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    assert!(
        url.starts_with("http://"),
        "the fake did not start: {url:?}"
    );
    Fake {
        child,
        url: url.trim().to_owned(),
    }
}

const ELIGIBLE: &str = "4c721420-72ad-4708-a0a7-371a2f7b0969";
const FAILING: &str = "c1958bc7-3284-4952-a257-de594ee64743";

fn fleet(dir: &Path) -> PathBuf {
    let path = dir.join("fleet.json");
    let fleet = json!({"customers": [
        {"customerId": ELIGIBLE},
        {"customerId": FAILING, "statuses": ["Failed"],
         "failure": {"code": 900120, "message": "The Azure upgrade cannot be processed."}},
    ]});
    std::fs::write(&path, fleet.to_string()).unwrap();
    path
}

fn client_files() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let mut files: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(files.len(), 3, "one file per client");
    for (name, file) in &files {
        for field in ["repository", "commit", "sources"] {
            assert!(
                file[field].is_object() || file[field].is_string(),
                "{name}: {field}"
            );
        }
    }
    files
}

/// One request as the client would send it.
async fn send(
    http: &reqwest::Client,
    fake: &Fake,
    client: &Value,
    operation: &str,
    customer: &str,
    upgrade: Option<&str>,
) -> reqwest::Response {
    let path = client["paths"][operation]
        .as_str()
        .unwrap()
        .replace("{upgrade}", upgrade.unwrap_or_default());
    let body = client["body"].to_string().replace("{customer}", customer);
    let mut request = http
        .post(format!("{}{path}", fake.url))
        .header("Authorization", "Bearer client-test-token")
        .header("MS-RequestId", Uuid::new_v4().to_string())
        .header("MS-CorrelationId", Uuid::new_v4().to_string())
        .body(body);
    for (name, value) in client["headers"].as_object().unwrap() {
        request = request.header(name.as_str(), value.as_str().unwrap());
    }
    request.send().await.unwrap()
}

/// The value of `name` in `object`, found as the client's JSON reader finds it.
fn read<'a>(object: &'a Value, name: &str, ignore_case: bool) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(key, _)| {
            if ignore_case {
                key.eq_ignore_ascii_case(name)
            } else {
                *key == name
            }
        })
        .map(|(_, value)| value)
}

/// Checks that `answer` carries what the client's model reads, with types it can take.
fn reads(client_name: &str, client: &Value, model: &str, answer: &Value) {
    let ignore_case = client["namesIgnoreCase"] == true;
    for (name, kind) in client["reads"][model].as_object().unwrap() {
        let kind = kind.as_str().unwrap();
        let (kind, optional) = match kind.strip_suffix('?') {
            Some(kind) => (kind, true),
            None => (kind, false),
        };
        match read(answer, name, ignore_case) {
            None if optional => {}
            None => panic!("{client_name} reads {model}.{name}, which the answer lacks: {answer}"),
            Some(value) => {
                let fits = match kind {
                    "string" => value.is_string() || value.is_null(),
                    "boolean" => value.is_boolean(),
                    "array" => value.is_array() || value.is_null(),
                    "object" => value.is_object() || value.is_null(),
                    _ => true,
                };
                assert!(
                    fits,
                    "{client_name}: {model}.{name} is {value}, not a {kind}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_clients_get_the_services_answers_and_read_them() {
    let dir = scratch("clients");
    let fake = start(&["--fleet", fleet(&dir).to_str().unwrap()]);
    let http = reqwest::Client::new();
    for (name, client) in client_files() {
        let customer = ELIGIBLE;
        let answer = send(&http, &fake, &client, "eligibility", customer, None).await;
        assert_eq!(answer.status(), 200, "{name}: eligibility");
        reads(&name, &client, "eligibility", &answer.json().await.unwrap());

        let answer = send(&http, &fake, &client, "create", customer, None).await;
        assert!(
            [202, 409, 400].contains(&answer.status().as_u16()),
            "{name}: create answered {}",
            answer.status()
        );
        // The first client creates the upgrade; the others are told it exists (as the
        // service would), so each reads the id from eligibility, as a resuming caller does.
        let eligibility = send(&http, &fake, &client, "eligibility", customer, None).await;
        let eligibility: Value = eligibility.json().await.unwrap();
        let upgrade = read(&eligibility, "upgradeId", true)
            .and_then(Value::as_str)
            .unwrap()
            .to_owned();

        let answer = send(&http, &fake, &client, "status", customer, Some(&upgrade)).await;
        assert_eq!(answer.status(), 200, "{name}: status");
        reads(&name, &client, "status", &answer.json().await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_creates_and_reads_a_failed_upgrades_description() {
    let dir = scratch("failed");
    let http = reqwest::Client::new();
    for (name, client) in client_files() {
        // A fake of its own per client, so that each one's create is the first.
        let fake = start(&["--fleet", fleet(&dir).to_str().unwrap()]);
        let created = send(&http, &fake, &client, "create", FAILING, None).await;
        assert_eq!(created.status(), 202, "{name}: create");
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        // What the SDKs do with the Location they return: its last segment is the id.
        let upgrade = location.rsplit('/').next().unwrap().to_owned();
        let answer = send(&http, &fake, &client, "status", FAILING, Some(&upgrade)).await;
        assert_eq!(answer.status(), 200, "{name}: status");
        let status: Value = answer.json().await.unwrap();
        reads(&name, &client, "status", &status);
        let details = read(&status, "errorDetails", true).unwrap();
        reads(&name, &client, "errorDetails", details);
        let ignore_case = client["namesIgnoreCase"] == true;
        let description = read(details, "description", ignore_case).and_then(Value::as_str);
        assert_eq!(
            description,
            Some("The Azure upgrade cannot be processed."),
            "{name} reads the failure's text"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_value_is_refused_alike_in_any_casing_and_json_media_types_are_taken() {
    let fake = start(&[]);
    let http = reqwest::Client::new();
    let url = format!("{}/v1/productupgrades", fake.url);
    let post = |body: &str, content_type: &str| {
        http.post(&url)
            .bearer_auth("t")
            .header("Content-Type", content_type)
            .body(body.to_owned())
            .send()
    };
    let mut refusals = Vec::new();
    for body in [
        r#"{"customerId": "not-a-guid", "productFamily": "Azure"}"#,
        r#"{"CustomerId": "not-a-guid", "ProductFamily": "Azure"}"#,
        r#"{"CUSTOMERID": "not-a-guid", "productfamily": "Azure"}"#,
    ] {
        let answer = post(body, "application/json").await.unwrap();
        assert_eq!(answer.status(), 400, "{body}");
        let error: Value = answer.json().await.unwrap();
        refusals.push(error["description"].as_str().unwrap().to_owned());
    }
    assert!(refusals[0].contains("/customerId"), "{}", refusals[0]);
    assert!(refusals.iter().all(|r| *r == refusals[0]), "{refusals:?}");
    let braced =
        r#"{"CustomerId": "{4c721420-72ad-4708-a0a7-371a2f7b0969}", "ProductFamily": "Azure"}"#;
    assert_eq!(
        post(braced, "application/json").await.unwrap().status(),
        400
    );
    let good =
        r#"{"CustomerId": "4c721420-72ad-4708-a0a7-371a2f7b0969", "ProductFamily": "Azure"}"#;
    for content_type in [
        "text/json",
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ] {
        let answer = post(good, content_type).await.unwrap();
        assert_eq!(answer.status(), 202, "{content_type}");
        // Like the service, the fake makes up the ids the call did not send.
        for header in ["ms-requestid", "ms-correlationid"] {
            let value = answer.headers()[header].to_str().unwrap();
            assert!(Uuid::try_parse(value).is_ok(), "{header}: {value}");
        }
    }
    assert_eq!(post(good, "text/plain").await.unwrap().status(), 415);
}

/// `Invoke-RestMethod -Method Post -Body @{customerId=…; productFamily='Azure'}`: what a
/// partner's own PowerShell loop sends. PowerShell encodes a hashtable body as a form
/// (`application/x-www-form-urlencoded`, the pairs in the hashtable's order, which it does
/// not keep). Each of the four operations takes it as the service would; the create's
/// `Location` read back as the fourth operation's path gives the same status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn powershell_hashtable_bodies_get_200_202_200_and_the_location_path_answers() {
    let dir = scratch("powershell");
    let fake = start(&["--fleet", fleet(&dir).to_str().unwrap()]);
    let http = reqwest::Client::new();
    // PowerShell 7's Invoke-RestMethod: its own User-Agent, no Accept, the form's type.
    let post = |path: String, body: String| {
        http.post(format!("{}/v1/{path}", fake.url))
            .header("Authorization", "Bearer powershell-token")
            .header("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.26100; en-US) PowerShell/7.4.6")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let hashtable = format!("productFamily=Azure&customerId={ELIGIBLE}");
    let eligibility = post("productUpgrades/eligibility".into(), hashtable.clone())
        .await
        .unwrap();
    assert_eq!(eligibility.status(), 200);
    let eligibility: Value = eligibility.json().await.unwrap();
    assert_eq!(eligibility["isEligible"], true, "{eligibility}");

    let created = post("productupgrades".into(), hashtable.clone())
        .await
        .unwrap();
    assert_eq!(created.status(), 202);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let upgrade = location.rsplit('/').next().unwrap().to_owned();

    let status = post(
        format!("productUpgrades/{upgrade}/status"),
        hashtable.clone(),
    );
    let status = status.await.unwrap();
    assert_eq!(status.status(), 200);
    let status: Value = status.json().await.unwrap();
    assert_eq!(status["id"], upgrade.as_str(), "{status}");
    // The Location itself, relative to /v1/: the fourth operation, the same answer.
    let at_location = post(location.clone(), hashtable.clone()).await.unwrap();
    assert_eq!(at_location.status(), 200, "{location}");
    let at_location: Value = at_location.json().await.unwrap();
    assert_eq!(at_location, status);

    // Names ignoring case and percent-encoding, as ASP.NET binds a form; a bad value is
    // refused naming its field, as in JSON.
    let shouted = format!("CUSTOMERID={ELIGIBLE}&ProductFamily=Azure%20");
    let answer = post("productUpgrades/eligibility".into(), shouted)
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let bad = post(
        "productUpgrades/eligibility".into(),
        "customerId=not-a-guid&productFamily=Azure".into(),
    );
    let bad = bad.await.unwrap();
    assert_eq!(bad.status(), 400);
    let error: Value = bad.json().await.unwrap();
    assert!(
        error["description"]
            .as_str()
            .unwrap()
            .contains("/customerId"),
        "{error}"
    );
}

/// XML, which ASP.NET's DataContract formatter would read, is refused with a `415` that
/// says what is taken: the service's element names are not published (an erratum).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_bodies_are_refused_saying_what_is_taken() {
    let fake = start(&[]);
    let http = reqwest::Client::new();
    for content_type in ["application/xml", "text/xml; charset=utf-8"] {
        let xml = format!(
            "<ProductUpgradesRequest><CustomerId>{ELIGIBLE}</CustomerId><ProductFamily>Azure</ProductFamily></ProductUpgradesRequest>"
        );
        let answer = http
            .post(format!("{}/v1/productUpgrades/eligibility", fake.url))
            .bearer_auth("t")
            .header("Content-Type", content_type)
            .body(xml)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 415, "{content_type}");
        let error: Value = answer.json().await.unwrap();
        let said = error["description"].as_str().unwrap();
        assert!(said.contains("application/x-www-form-urlencoded"), "{said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sign_in_secret_or_bearer_token_reaches_the_log() {
    let dir = scratch("secrets");
    let http = reqwest::Client::new();
    let secrets = [
        "the-client-secret",
        "the-refresh-token",
        "the-auth-code",
        "the-bearer-token",
    ];
    let grants = [
        "grant_type=refresh_token&client_id=app&client_secret=the-client-secret&refresh_token=the-refresh-token&scope=s",
        "grant_type=client_credentials&client_id=app&client_secret=the-client-secret&scope=s",
        "grant_type=authorization_code&client_id=app&client_secret=the-client-secret&code=the-auth-code",
    ];
    // Without --entra the sign-in calls are requests like any other (answered 404, logged);
    // with it they are answered by the fake token endpoint.
    for entra in [false, true] {
        let log = dir.join(format!("log-{entra}.jsonl"));
        let mut args = vec!["--log", log.to_str().unwrap()];
        if entra {
            args.extend(["--entra", "--entra-refresh-token", "the-refresh-token"]);
        }
        let fake = start(&args);
        for grant in grants {
            let url = format!("{}/tenant/oauth2/v2.0/token", fake.url);
            http.post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(grant)
                .send()
                .await
                .unwrap();
        }
        let call = format!("{}/v1/productUpgrades/eligibility", fake.url);
        http.post(call)
            .bearer_auth("the-bearer-token")
            .header("Content-Type", "application/json")
            .body(format!(
                r#"{{"customerId": "{ELIGIBLE}", "productFamily": "Azure"}}"#
            ))
            .send()
            .await
            .unwrap();
        drop(fake);
        let written = std::fs::read_to_string(&log).unwrap();
        assert!(written.lines().count() >= 1, "nothing logged");
        for secret in secrets {
            assert!(
                !written.contains(secret),
                "{secret} in the log (--entra {entra}):\n{written}"
            );
        }
        if !entra {
            assert!(
                written.contains("client_id=app"),
                "the log keeps what is not secret"
            );
        }
    }
}
