"""
Realistic redaction cases shared by the redaction tests and the benchmark.

Every fake token is assembled at import time from a prefix and generated
characters, so no literal that looks like a live credential sits in the
source (secret scanners stay quiet) and each has its real shape.
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass, field

_ALNUM = string.ascii_letters + string.digits


def fake(length: int, alphabet: str = _ALNUM, seed: int = 7) -> str:
    """*length* deterministic characters from *alphabet* (varied, with digits and capitals)."""
    return "".join(alphabet[(seed * 31 + i * 17 + i * i) % len(alphabet)] for i in range(length))


def b64url(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --------------------------------------------------------------------------
# Token shapes (gitleaks / detect-secrets shapes, fake contents)
# --------------------------------------------------------------------------

JWT = ".".join(
    [
        b64url({"alg": "HS256", "typ": "JWT"}),
        b64url({"sub": "user-1234", "name": "Ada", "iat": 1716239022}),
        fake(43, _ALNUM + "-_"),
    ]
)
JWT_UNSIGNED = f"{b64url({'alg': 'none'})}.{b64url({'sub': 'user-1234'})}."
AWS_ACCESS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example
AWS_TEMP_KEY_ID = "ASIA" + fake(16, string.ascii_uppercase + "234567")
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"  # documented example
GITHUB_PAT = "ghp_" + fake(36)
GITHUB_OAUTH = "gho_" + fake(36, seed=2)
GITHUB_APP = "ghs_" + fake(36, seed=3)
GITHUB_FINE_GRAINED = "github_pat_" + fake(22, seed=4) + "_" + fake(59, seed=5)
GITLAB_PAT = "glpat-" + fake(20, _ALNUM + "-_")
GITLAB_RUNNER = "glrt-" + fake(24, seed=6)
SLACK_BOT = "xox" + "b-" + fake(12, string.digits) + "-" + fake(13, string.digits) + "-" + fake(24)
SLACK_USER = "xox" + "p-" + "-".join(fake(12, string.digits, s) for s in (1, 2, 3)) + "-" + fake(32)
SLACK_APP = "xapp-1-" + fake(11, string.ascii_uppercase + string.digits) + "-" + fake(40)
SLACK_WEBHOOK_PATH = (
    f"T{fake(8, string.ascii_uppercase)}/B{fake(8, string.ascii_uppercase)}/{fake(24)}"
)
DISCORD_WEBHOOK_TOKEN = fake(68, _ALNUM + "-_")
STRIPE_LIVE = "sk_" + "live_" + fake(24)
STRIPE_TEST = "sk_" + "test_" + fake(99, seed=11)
STRIPE_RESTRICTED = "rk_" + "live_" + fake(24, seed=12)
STRIPE_PUBLISHABLE = "pk_" + "live_" + fake(24, seed=13)
STRIPE_WEBHOOK = "whsec_" + fake(32, seed=14)
OPENAI_PROJECT = "sk-proj-" + fake(74, _ALNUM + "-_") + "T3BlbkFJ" + fake(74, seed=15)
OPENAI_LEGACY = "sk-" + fake(20, seed=16) + "T3BlbkFJ" + fake(20, seed=17)
ANTHROPIC = "sk-ant-api03-" + fake(93, _ALNUM + "-_", seed=18) + "AA"
DEEPSEEK_STYLE = "sk-" + fake(32, "0123456789abcdef", seed=19)
GOOGLE_API_KEY = "AIza" + fake(35, _ALNUM + "-_", seed=20)
GOOGLE_OAUTH = "ya29." + fake(120, _ALNUM + "-_", seed=21)
GOOGLE_CLIENT_SECRET = "GOCSPX-" + fake(28, seed=22)
GOOGLE_REFRESH = "1//0" + fake(60, _ALNUM + "-_", seed=23)
NPM = "npm_" + fake(36, seed=24)
PYPI = "pypi-AgEIcHlwaS5vcmc" + fake(70, _ALNUM + "-_", seed=25)
HUGGING_FACE = "hf_" + fake(34, string.ascii_letters, seed=26)
SENDGRID = "SG." + fake(22, _ALNUM + "-_", seed=27) + "." + fake(43, _ALNUM + "-_", seed=28)
VAULT = "hvs." + fake(90, _ALNUM + "_", seed=29)
DIGITALOCEAN = "dop_v1_" + fake(64, "0123456789abcdef", seed=30)
REPLICATE = "r8_" + fake(37, seed=31)
SHOPIFY = "shpat_" + fake(32, "0123456789abcdef", seed=32)
SENTRY = "sntrys_" + fake(60, _ALNUM + "+/=", seed=33)
GRAFANA = "glsa_" + fake(32, seed=34) + "_" + fake(8, "0123456789abcdef", seed=35)
DATABRICKS = "dapi" + fake(32, "0123456789abcdef", seed=36)
LINEAR = "lin_api_" + fake(40, seed=37)
NOTION = "ntn_" + fake(46, seed=38)
POSTMAN = "PMAK-" + fake(24, "0123456789abcdef", seed=39) + "-" + fake(34, "0123456789abcdef")
ATLASSIAN = "ATATT3" + fake(180, _ALNUM + "_-=", seed=40)
AGE_KEY = "AGE-SECRET-KEY-1" + fake(58, string.ascii_uppercase + string.digits, seed=41)
PEM_BODY = (
    "\n".join(fake(64, _ALNUM + "+/", seed=s) for s in range(42, 48)) + "\n" + fake(20) + "=="
)
PEM_RSA = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
PEM_PKCS8 = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"
PEM_EC = f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}\n-----END EC PRIVATE KEY-----"
PEM_OPENSSH = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----"
PEM_ENCRYPTED = (
    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
    f"{fake(32, '0123456789ABCDEF')}\n\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
)
PEM_PGP = (
    f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{PEM_BODY}\n-----END PGP PRIVATE KEY BLOCK-----"
)
PEM_PUBLIC = f"-----BEGIN PUBLIC KEY-----\n{PEM_BODY}\n-----END PUBLIC KEY-----"
BASIC_CREDENTIALS = base64.b64encode(b"ada:correct horse battery").decode()

#: Values that are no secrets and must survive verbatim, whatever surrounds them.
EMAIL = "ada.lovelace@example.com"
JOB_ID = "job-0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"
UUID = "550e8400-e29b-41d4-a716-446655440000"
S3_URL = "s3://videos-prod/jobs/job-0b5c/scene-01.mp4"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
MD5 = "5d41402abc4b2a76b9719d911017c592"
GIT_SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
IPV4 = "203.0.113.42"
IPV6 = "2001:db8::8a2e:370:7334"
PLAIN_URL = "https://api.example.com/v1/jobs/job-0b5c?page=2&limit=50"


@dataclass(frozen=True)
class Case:
    """A text, the secrets that must be gone from it, and the neighbours that must stay."""

    id: str
    text: str
    gone: tuple[str, ...]
    kept: tuple[str, ...] = field(default=())


def case(id: str, text: str, gone: str | tuple[str, ...], *kept: str) -> Case:
    return Case(id, text, gone if isinstance(gone, tuple) else (gone,), kept)


# --------------------------------------------------------------------------
# Free text: a secret in a sentence, a log line, a URL, a header, a repr...
# --------------------------------------------------------------------------

TOKEN_CASES = [
    case("jwt", f"verified id_hint {JWT} for user", JWT, "verified id_hint", "for user"),
    case("jwt unsigned", f"alg none token {JWT_UNSIGNED} rejected", JWT_UNSIGNED, "rejected"),
    case("jwt in url", f"https://app.example.com/cb?state=abc&t={JWT}", JWT, "state=abc"),
    case(
        "aws access key id",
        f"using {AWS_ACCESS_KEY_ID} in eu-west-1",
        AWS_ACCESS_KEY_ID,
        "eu-west-1",
    ),
    case("aws temporary key id", f"assumed role creds {AWS_TEMP_KEY_ID} ok", AWS_TEMP_KEY_ID, "ok"),
    case(
        "aws secret in config",
        f"aws_secret_access_key = {AWS_SECRET_ACCESS_KEY}\nregion = us-east-1",
        AWS_SECRET_ACCESS_KEY,
        "region = us-east-1",
    ),
    case(
        "aws secret in env",
        f"AWS_SECRET_ACCESS_KEY={AWS_SECRET_ACCESS_KEY} AWS_REGION=us-east-1",
        AWS_SECRET_ACCESS_KEY,
        "AWS_REGION=us-east-1",
    ),
    case("github pat", f"git push with {GITHUB_PAT} failed", GITHUB_PAT, "failed"),
    case("github oauth", f"oauth {GITHUB_OAUTH}", GITHUB_OAUTH, "oauth"),
    case("github app", f"installation {GITHUB_APP} expires", GITHUB_APP, "expires"),
    case("github fine-grained", f"pat={GITHUB_FINE_GRAINED};", GITHUB_FINE_GRAINED, ";"),
    case(
        "github token as url user",
        f"cloning https://{GITHUB_PAT}@github.com/acme/repo.git",
        GITHUB_PAT,
        "@github.com/acme/repo.git",
    ),
    case("gitlab pat", f"CI used {GITLAB_PAT}.", GITLAB_PAT, "CI used"),
    case("gitlab runner", f"runner {GITLAB_RUNNER} registered", GITLAB_RUNNER, "registered"),
    case("slack bot", f"slack client {SLACK_BOT} ready", SLACK_BOT, "ready"),
    case("slack user", f"[{SLACK_USER}]", SLACK_USER, "["),
    case("slack app", f"socket mode {SLACK_APP}", SLACK_APP, "socket mode"),
    case(
        "slack webhook",
        f"POST https://hooks.slack.com/services/{SLACK_WEBHOOK_PATH} 200",
        SLACK_WEBHOOK_PATH,
        "https://hooks.slack.com/services/",
        " 200",
    ),
    case(
        "discord webhook",
        f"https://discord.com/api/webhooks/123456789012345678/{DISCORD_WEBHOOK_TOKEN}",
        DISCORD_WEBHOOK_TOKEN,
        "https://discord.com/api/webhooks/123456789012345678/",
    ),
    case("stripe live", f"charge via {STRIPE_LIVE} done", STRIPE_LIVE, "done"),
    case("stripe test", f"key={STRIPE_TEST}", STRIPE_TEST, "key="),
    case("stripe restricted", f"({STRIPE_RESTRICTED})", STRIPE_RESTRICTED, "(", ")"),
    case("stripe webhook secret", f"signing with {STRIPE_WEBHOOK}", STRIPE_WEBHOOK, "signing"),
    case("openai project", f"model call key {OPENAI_PROJECT} 429", OPENAI_PROJECT, "429"),
    case("openai legacy", f"OPENAI={OPENAI_LEGACY}", OPENAI_LEGACY, "OPENAI="),
    case("anthropic", f"claude client {ANTHROPIC} timeout", ANTHROPIC, "timeout"),
    case("sk- model api", f"deepseek {DEEPSEEK_STYLE} ok", DEEPSEEK_STYLE, "deepseek"),
    case("google api key", f"maps?key={GOOGLE_API_KEY}&q=paris", GOOGLE_API_KEY, "&q=paris"),
    case("google oauth token", f"got {GOOGLE_OAUTH} for drive", GOOGLE_OAUTH, "for drive"),
    case("google client secret", f"client {GOOGLE_CLIENT_SECRET}", GOOGLE_CLIENT_SECRET, "client"),
    case("google refresh token", f"refresh {GOOGLE_REFRESH} stored", GOOGLE_REFRESH, "stored"),
    case("npm", f"//registry.npmjs.org/:_authToken={NPM}", NPM, "registry.npmjs.org"),
    case("npm bare", f"publishing with {NPM}", NPM, "publishing"),
    case("pypi", f"twine upload -p {PYPI} dist/*", PYPI, "dist/*"),
    case("hugging face", f"hub login {HUGGING_FACE} ok", HUGGING_FACE, "hub login"),
    case("sendgrid", f"mail via {SENDGRID} queued", SENDGRID, "queued"),
    case("vault", f"vault token {VAULT} renewed", VAULT, "renewed"),
    case("digitalocean", f"doctl {DIGITALOCEAN}", DIGITALOCEAN, "doctl"),
    case("replicate", f"replicate client {REPLICATE} polling", REPLICATE, "polling"),
    case("shopify", f"shop {SHOPIFY}", SHOPIFY, "shop"),
    case("sentry", f"sentry-cli {SENTRY}", SENTRY, "sentry-cli"),
    case("grafana", f"grafana sa {GRAFANA}", GRAFANA, "grafana sa"),
    case("databricks", f"host=dbc.cloud {DATABRICKS}", DATABRICKS, "host=dbc.cloud"),
    case("linear", f"linear {LINEAR}", LINEAR, "linear"),
    case("notion", f"notion {NOTION}", NOTION, "notion"),
    case("postman", f"postman {POSTMAN}", POSTMAN, "postman"),
    case("atlassian", f"jira {ATLASSIAN}", ATLASSIAN, "jira"),
    case("age key", f"# {AGE_KEY}", AGE_KEY, "#"),
    case(
        "pem rsa",
        f"key loaded:\n{PEM_RSA}\ndone",
        PEM_BODY,
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "done",
    ),
    case("pem pkcs8", PEM_PKCS8, PEM_BODY, "-----BEGIN PRIVATE KEY-----"),
    case("pem ec", PEM_EC, PEM_BODY, "-----END EC PRIVATE KEY-----"),
    case("pem openssh", PEM_OPENSSH, PEM_BODY, "OPENSSH PRIVATE KEY"),
    case("pem encrypted", PEM_ENCRYPTED, (PEM_BODY, "Proc-Type"), "-----END RSA PRIVATE KEY-----"),
    case("pem pgp", PEM_PGP, PEM_BODY, "PGP PRIVATE KEY BLOCK"),
    case(
        "pem escaped in json",
        json.dumps({"pem": PEM_RSA, "kid": "k1"}),
        fake(64, _ALNUM + "+/", seed=42),
        '"kid": "k1"',
    ),
    case(
        "pem truncated",
        "-----BEGIN PRIVATE KEY-----\n" + PEM_BODY[:200],
        PEM_BODY[:200],
        "-----BEGIN PRIVATE KEY-----",
    ),
]

AUTH_CASES = [
    case("bearer header", f"Authorization: Bearer {JWT}", JWT, "Authorization: Bearer "),
    case(
        "bearer opaque",
        "Authorization: Bearer 8f14e45fceea167a5a36",
        "8f14e45fceea167a5a36",
        "Bearer",
    ),
    case(
        "bearer lower", "authorization: bearer abc123def456ghi", "abc123def456ghi", "authorization"
    ),
    case("basic header", f"Authorization: Basic {BASIC_CREDENTIALS}", BASIC_CREDENTIALS, "Basic"),
    case(
        "token scheme",
        "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bb",
        "9944b09199c6",
        "Token",
    ),
    case("bearer in prose", f"sent Bearer {GITHUB_PAT} to api", GITHUB_PAT, "to api"),
    case("bearer standalone", "retry with Bearer sk9Xq2LmPz77 in 5s", "sk9Xq2LmPz77", "in 5s"),
    case(
        "proxy authorization",
        "Proxy-Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "YWxhZGRp",
        "Basic",
    ),
    case("x-api-key header", "X-Api-Key: 4b6f9d2e71c04a1e", "4b6f9d2e71c04a1e", "X-Api-Key"),
    case(
        "x-auth-token header", "X-Auth-Token: a1b2c3d4e5f6g7h8", "a1b2c3d4e5f6g7h8", "X-Auth-Token"
    ),
    case(
        "private-token header", "PRIVATE-TOKEN: 88abcdefgh0123", "88abcdefgh0123", "PRIVATE-TOKEN"
    ),
    case(
        "cookie header",
        "Cookie: sessionid=38afes7a8; csrftoken=Zx9; theme=dark\nHost: example.com",
        ("38afes7a8", "Zx9"),
        "Host: example.com",
    ),
    case(
        "set-cookie header",
        "Set-Cookie: __Host-sid=AbCdEf123; Path=/; Secure; HttpOnly",
        "AbCdEf123",
        "Set-Cookie:",
    ),
    case(
        "curl header",
        "curl -s -H 'Authorization: Bearer 0123abcdEFGH4567' https://api.example.com/v1/me",
        "0123abcdEFGH4567",
        "https://api.example.com/v1/me",
    ),
    case(
        "curl api key header",
        'curl -H "X-Api-Key: live_8374abcf" https://api.example.com',
        "live_8374abcf",
        "https://api.example.com",
    ),
    case(
        "curl user",
        "curl -u ada:s3cr3t-pa55 https://api.example.com/private",
        "s3cr3t-pa55",
        "ada:",
        "https://api.example.com/private",
    ),
    case("curl --user", "curl --user=ada:hunter2!x https://x.example", "hunter2!x", "ada:"),
    case(
        "curl oauth2 bearer",
        "curl --oauth2-bearer abc.def-123 https://x.example",
        "abc.def-123",
        "https://x.example",
    ),
]

URL_CASES = [
    case(
        "postgres dsn",
        "postgres://app:S3cure!pass@db.internal:5432/jobs",
        "S3cure!pass",
        "postgres://app:",
        "@db.internal:5432/jobs",
    ),
    case(
        "password with @",
        "postgresql://app:p@ss@w0rd@db:5432/app",
        "p@ss@w0rd",
        "postgresql://app:",
        "@db:5432/app",
    ),
    case("mysql dsn", "mysql://root:toor123@127.0.0.1:3306/x", "toor123", "@127.0.0.1:3306/x"),
    case(
        "mongodb srv",
        "mongodb+srv://svc:Zm9vYmFy@cluster0.ab1cd.mongodb.net/?retryWrites=true",
        "Zm9vYmFy",
        "cluster0.ab1cd.mongodb.net",
        "retryWrites=true",
    ),
    case("redis no user", "redis://:r3d1s-pw@cache:6379/0", "r3d1s-pw", "@cache:6379/0"),
    case("amqp", "amqp://guest:g0est-pw@rabbit:5672/%2F", "g0est-pw", "@rabbit:5672"),
    case(
        "jdbc",
        "jdbc:postgresql://admin:jdbcPass1@db:5432/x",
        "jdbcPass1",
        "jdbc:postgresql://admin:",
    ),
    case(
        "https basic in url",
        "fetching https://bot:tok3n-xyz@api.example.com/x",
        "tok3n-xyz",
        "@api.example.com/x",
    ),
    case(
        "git token user",
        "https://x-access-token:ghs_rotating99@github.com/acme/app",
        "ghs_rotating99",
        "https://x-access-token:",
        "@github.com/acme/app",
    ),
    case(
        "query token",
        "GET /callback?token=5f4dcc3b5aa765d6&next=/home",
        "5f4dcc3b5aa765d6",
        "&next=/home",
    ),
    case(
        "query api_key",
        "https://api.example.com/v1/x?page=2&api_key=ak_92df8&limit=5",
        "ak_92df8",
        "&limit=5",
    ),
    case(
        "fragment access_token",
        "/#access_token=ya.29.XyZ&token_type=bearer",
        "ya.29.XyZ",
        "token_type=bearer",
    ),
    case("query password", "/login?user=ada&password=Tr0ub4dor&3", "Tr0ub4dor", "user=ada"),
    case(
        "query client_secret",
        "/oauth/token?client_id=web&client_secret=cs_8f7e6d",
        "cs_8f7e6d",
        "client_id=web",
    ),
    case(
        "s3 presigned",
        "https://b.s3.amazonaws.com/k.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=9f3a1c2b8e&X-Amz-Expires=600",
        "9f3a1c2b8e",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Expires=600",
    ),
    case(
        "s3 security token",
        "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=IQoJb3JpZ2luX2VjE&x=1",
        "IQoJb3JpZ2luX2VjE",
        "&x=1",
    ),
    case(
        "azure sas",
        "https://acct.blob.core.windows.net/c/b.mp4?sv=2022-11-02&sp=r&sig=Xy%2Bz%3D123",
        "Xy%2Bz%3D123",
        "sv=2022-11-02",
        "sp=r",
    ),
    case(
        "gcs signed url",
        "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=7a8b9c0d1e",
        "7a8b9c0d1e",
        "X-Goog-Algorithm=GOOG4-RSA-SHA256",
    ),
    case(
        "cloudfront signed url",
        "https://d111.cloudfront.net/v.mp4?Expires=1700000000&Signature=Q2xvdWRGcm9udA__&Key-Pair-Id=K2JCJMDEHXQW5F",
        "Q2xvdWRGcm9udA__",
        "Key-Pair-Id=K2JCJMDEHXQW5F",
    ),
    case(
        "url-encoded pair",
        "body=grant_type%3Dpassword%26password%3Dhunter2x",
        "hunter2x",
        "grant_type",
    ),
]

PAIR_CASES = [
    case(
        "password equals",
        "login failed: user=ada password=hunter2 ip=10.0.0.7",
        "hunter2",
        "user=ada",
        "ip=10.0.0.7",
    ),
    case(
        "password colon",
        "Login failed for ada, password: hunter2 (attempt 3)",
        "hunter2",
        "(attempt 3)",
    ),
    case(
        "password json",
        '{"user": "ada", "password": "hunter2", "remember": true}',
        "hunter2",
        '"remember": true',
    ),
    case(
        "password json escaped",
        '{\\"user\\": \\"ada\\", \\"password\\": \\"hunter2\\"}',
        "hunter2",
        '\\"user\\": \\"ada\\"',
    ),
    case("password json compact", '{"password":"hunter2","user":"ada"}', "hunter2", '"user":"ada"'),
    case(
        "password python repr",
        "Settings(user='ada', password='hunter2', debug=True)",
        "hunter2",
        "debug=True",
    ),
    case(
        "password dict repr", "{'user': 'ada', 'password': 'hunter2'}", "hunter2", "'user': 'ada'"
    ),
    case(
        "password yaml",
        "database:\n  user: app\n  password: s3cret-yaml\n  host: db",
        "s3cret-yaml",
        "host: db",
    ),
    case(
        "password ruby hash",
        'params = {"password" => "hunter2", "user" => "ada"}',
        "hunter2",
        '"user" => "ada"',
    ),
    case(
        "password with spaces quoted",
        'password="correct horse battery staple" user=ada',
        "correct horse",
        "user=ada",
    ),
    case("passwd", "passwd=Ch4ngeMe", "Ch4ngeMe", "passwd="),
    case(
        "pwd connection string",
        "Server=db;Database=app;Uid=sa;Pwd=Sup3r!;",
        "Sup3r!",
        "Database=app",
    ),
    case(
        "Password connection string",
        "Data Source=db;User ID=sa;Password=Sup3r!;Encrypt=true",
        "Sup3r!",
        "Encrypt=true",
    ),
    case(
        "api_key pair",
        "client configured api_key=ak_live_abc123 region=eu",
        "ak_live_abc123",
        "region=eu",
    ),
    case(
        "apiKey pair",
        "config {apiKey: 'AbC123dEf', endpoint: 'https://x'}",
        "AbC123dEf",
        "endpoint",
    ),
    case("two-word api key", "The API key: 7d2f9c1e is invalid", "7d2f9c1e", "is invalid"),
    case("secret pair", "webhook secret=whk_ab12cd34 registered", "whk_ab12cd34", "registered"),
    case("client_secret pair", "client_secret: 'cs-99AbCd'", "cs-99AbCd", "client_secret"),
    case(
        "token pair", "refresh_token=rt_55aa66bb expires_in=3600", "rt_55aa66bb", "expires_in=3600"
    ),
    case(
        "access token pair",
        "got access_token: eyx9-opaque-7 scope=read",
        "eyx9-opaque-7",
        "scope=read",
    ),
    case(
        "private key pair",
        'private_key = "MIIEvQIBADANBgkqhkiG9w0"',
        "MIIEvQIBADANBgkqhkiG9w0",
        "private_key",
    ),
    case("session id pair", "sessionId=9f8e7d6c5b4a; path=/", "9f8e7d6c5b4a", "path=/"),
    case("credentials pair", "credentials='ada:hunter2' loaded", "ada:hunter2", "loaded"),
    case("cli flag", "exec worker --password hunter2 --verbose", "hunter2", "--verbose"),
    case("cli flag equals", "exec worker --api-key=ak_9988 --region eu", "ak_9988", "--region eu"),
    case("env var", "export DATABASE_PASSWORD=Pgs3cret && run", "Pgs3cret", "&& run"),
    case("github token env", "GITHUB_TOKEN=opaque123 make release", "opaque123", "make release"),
    case("otp", "otp=492817 sent to phone", "492817", "sent to phone"),
    case("numeric pin as password", "password: 123456", "123456", "password:"),
    case(
        "auth tuple repr",
        "requests.get(url, auth=('ada', 'hunter2'))",
        "hunter2",
        "requests.get(url",
    ),
    case(
        "exception message",
        "ValueError: invalid credentials for user ada, password='hunter2'",
        "hunter2",
        "ValueError: invalid credentials for user ada",
    ),
    case(
        "traceback",
        'Traceback (most recent call last):\n  File "app.py", line 9, in connect\n'
        "    db.connect(dsn)\nOperationalError: could not connect to postgres://app:pgpass99@db:5432/app",
        "pgpass99",
        'File "app.py", line 9, in connect',
        "@db:5432/app",
    ),
]

TOKEN_DICT_KEYS = [
    "password",
    "Password",
    "PASSWORD",
    "user_password",
    "userPassword",
    "new_password",
    "password2",
    "password_confirmation",
    "passwd",
    "pwd",
    "mysql_pwd",
    "passphrase",
    "pass",
    "db_pass",
    "secret",
    "client_secret",
    "clientSecret",
    "webhook_secret",
    "secret_key",
    "secret_key_base",
    "token",
    "access_token",
    "accessToken",
    "refresh_token",
    "id_token",
    "auth_token",
    "X-Auth-Token",
    "x-amz-security-token",
    "github_token",
    "GITHUB_TOKEN",
    "SLACKTOKEN",
    "csrftoken",
    "XSRF-TOKEN",
    "_csrf",
    "api_key",
    "apiKey",
    "API_KEY",
    "apikey",
    "x-api-key",
    "X-API-KEY",
    "XAPIKey",
    "x_goog_api_key",
    "ocp-apim-subscription-key",
    "aws_secret_access_key",
    "AWS_SECRET_ACCESS_KEY",
    "aws_session_token",
    "aws_access_key_id",
    "private_key",
    "privateKey",
    "signing_key",
    "encryption_key",
    "ssh_key",
    "authorization",
    "Authorization",
    "proxy-authorization",
    "auth",
    "basic_auth",
    "cookie",
    "Cookie",
    "cookies",
    "set-cookie",
    "session",
    "session_id",
    "sessionId",
    "SESSIONID",
    "PHPSESSID",
    "JSESSIONID",
    "connect.sid",
    "user_session",
    "credentials",
    "creds",
    "signature",
    "X-Hub-Signature-256",
    "sig",
    "jwt",
    "bearer",
    "otp",
    "mfa_code",
    "recovery_codes",
    "headers.authorization",
    "fields.password",
    "contraseña",
    "passwort",
    "cvv",
    "card_number",
]

PLAIN_DICT_KEYS = [
    "token_count",
    "max_tokens",
    "input_tokens",
    "prompt_tokens",
    "total_tokens",
    "token_type",
    "token_url",
    "token_endpoint",
    "token_expires_in",
    "tokenizer",
    "author",
    "authority",
    "authenticated",
    "auth_method",
    "auth_provider",
    "s3_key",
    "primary_key",
    "public_key",
    "cache_key",
    "partition_key",
    "idempotency_key",
    "key",
    "keys",
    "key_id",
    "api_key_id",
    "private_key_id",
    "keyframe",
    "monkey",
    "secret_name",
    "secret_arn",
    "secret_version",
    "password_length",
    "password_policy",
    "password_hint",
    "session_count",
    "sessions",
    "session_duration_ms",
    "cookie_name",
    "signature_version",
    "credential_id",
    "credentials_path",
    "passenger",
    "first_pass",
    "bypass",
    "compass",
    "possession",
    "design",
    "signal",
    "job_id",
    "user_id",
    "client_id",
    "request_id",
    "email",
    "username",
    "ip_address",
    "x_forwarded_for",
    "checksum",
    "etag",
    "video_url",
]

#: Texts that must come out exactly as they went in.
HARD_NEGATIVES = [
    f"user {EMAIL} started {JOB_ID}",
    f"request {UUID} from {IPV4} and {IPV6}",
    f"uploaded {S3_URL} sha256={SHA256} md5={MD5}",
    f"deployed commit {GIT_SHA}",
    PLAIN_URL,
    "https://user@example.com/path",
    "ssh://git@github.com:22/acme/app.git",
    "git@github.com:acme/app.git",
    "https://cdn.example.com:8443/media/maria@example.com/avatar.png",
    "Bearer authentication failed: header missing",
    "Basic auth is disabled",
    "Missing Authorization header",
    "password reset requested for ada.lovelace@example.com",
    "passwordless login enabled",
    "token_count=512 max_tokens=1024 input_tokens=37",
    "token_type=bearer expires_in=3600",
    "the author: ada",
    "session_count=3 sessions=4",
    "password: true",
    "password=None",
    'password: ""',
    "password=${DB_PASSWORD}",
    "password={{ vault_db_password }}",
    "password=%s",
    "password=********",
    "secret_name=prod/db arn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod",
    "public key fingerprint SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
    "task-1234 sk-learn version 1.4",
    "timezone Asia/Tokyo",
    "key: ctrl+shift+down",
    "set the API key in your settings",
    "The word token appears 3 times",
    "design signal processing",
    "cookie consent accepted",
    "Kling still processing scene 3 (attempt 12)",
    "2026-11-23T10:15:30.123Z",
    PEM_PUBLIC,
    f"publishable key {STRIPE_PUBLISHABLE}",
    "redis://cache:6379/0",
    "exec --password-file /run/secrets/db --verbose",
    "eyJ is how base64 JSON starts",
]


# --------------------------------------------------------------------------
# Adversarial inputs (tests check their output; bench/redact.py times them)
# --------------------------------------------------------------------------

ADVERSARIAL_SIZE = 100_000


def adversarial() -> dict[str, str]:
    """100 kB strings built to make a careless pattern backtrack or scan forever."""
    n = ADVERSARIAL_SIZE
    return {
        "long word run": "a" * n,
        "noun word run": "password" * (n // 8),
        "noun words": "token " * (n // 6),
        "pairs without values": "password: " * (n // 10),
        "secret pairs": "password=x " * (n // 11),
        "brace-heavy near misses": '{"password": ' * (n // 13),
        "json without secrets": '{"a": "b", ' * (n // 11),
        "open braces": "{" * n,
        "backslash run": '\\"password\\": \\"' + "\\" * n,
        "secret after 67 kB": "x " * 33_500 + "token=" + GITHUB_PAT,
        "url near misses": "https://" * (n // 8),
        "user info without @": "://user:" + "p" * n,
        "at signs": "://a:" + "@" * n,
        "bearer run": "Bearer " * (n // 7),
        "jwt prefix run": "eyJ" + "a" * n,
        "pem without end": "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * n,
        "pem begins": "-----BEGIN PRIVATE KEY-----\n" * (n // 28),
        "token prefix run": "ghp_" * (n // 4),
        "flags": "--password x " * (n // 13),
        "flags without values": "--password " * (n // 11),
        "cookie list": "Cookie: " + "a=b; " * (n // 5),
        "signature pairs": "sig=" * (n // 4),
    }
