"""
The value rule's secret shapes, as data: one :class:`SecretRule` per format.

Each record names a format, the literal anchors (lower case) where it can
start, the pattern tried there (its ``secret`` group is what gets hidden),
and an optional check on the found secret.  Adding a vendor is adding one
record here and one sample in ``tests/redaction_cases.py``.

The formats (prefixes, lengths, alphabets) are those documented by the
vendors and collected by gitleaks (MIT) and detect-secrets (Apache-2.0);
the patterns are written for joblog: anchored at a literal, linear, and
lenient on length (a longer token is hidden whole).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["DEFAULT_RULES", "TOKEN_START", "SecretRule", "rules_table"]


@dataclass(frozen=True)
class SecretRule:
    """
    One secret format of the value rule.

    Args:
        name: a unique name (``"github-pat"``), for ``Redactor(disable=...)``.
        anchors: literals, in lower case, that every match contains; the rule
            is tried only where one occurs in the (lower-cased) text.
        pattern: a regular expression with a ``secret`` group, matched at the
            anchor (``pattern.match(text, position)``).
        back: how many characters before its anchor a match may start (for a
            format whose distinctive part is not its start); the pattern is
            then searched from there and must start by the anchor.
        check: a test on the secret's text; a find it rejects is no secret.
        description: what the format is, for the documentation.
        needs: a character the text must contain for the rule to apply
            (``"@"`` for a URL's password): a run of anchors without it
            costs one check each, not a pattern match each.
    """

    name: str
    anchors: tuple[str, ...]
    pattern: str
    back: int = 0
    check: Callable[[str], bool] | None = field(default=None, compare=False)
    description: str = ""
    needs: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a rule needs a name, got {self.name!r}")
        if not isinstance(self.anchors, tuple) or not self.anchors:
            raise ValueError(f"rule {self.name!r}: anchors must be a non-empty tuple of str")
        for anchor in self.anchors:
            if not isinstance(anchor, str) or not anchor or anchor != anchor.lower():
                raise ValueError(f"rule {self.name!r}: anchor {anchor!r} must be lower-case text")
        try:
            compiled = re.compile(self.pattern)
        except (re.error, TypeError) as exc:
            raise ValueError(
                f"rule {self.name!r}: {self.pattern!r} is not a pattern: {exc}"
            ) from None
        if "secret" not in compiled.groupindex:
            raise ValueError(f"rule {self.name!r}: its pattern has no 'secret' group")


# A token starts where no token character precedes it, and ends where none follows.
TOKEN_START = r"(?<![A-Za-z0-9_\-])"  # noqa: S105 - a pattern
_START = TOKEN_START
_END = r"(?![A-Za-z0-9_\-])"


def entropy(text: str) -> float:
    """Shannon entropy of *text* in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _mixed(text: str) -> bool:
    """Letters and digits both: a random token, not a word or a number."""
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def _random(text: str) -> bool:
    """Random-looking: letters and digits, and at least 3 bits per character."""
    return _mixed(text) and entropy(text) >= 3.0


def _token(
    name: str,
    description: str,
    body: str,
    *anchors: str,
    check: Callable[[str], bool] | None = None,
    end: bool = False,
) -> SecretRule:
    """A token that starts with one of *anchors* (its prefix), at a token boundary."""
    return SecretRule(
        name,
        anchors,
        rf"{_START}(?P<secret>{body}){_END if end else ''}",
        check=check,
        description=description,
    )


def _inner(
    name: str, description: str, body: str, anchor: str, back: int, check: Callable[[str], bool]
) -> SecretRule:
    """A token whose distinctive literal is inside it, up to *back* characters in."""
    return SecretRule(
        name, (anchor,), rf"{_START}(?P<secret>{body}){_END}", back, check, description
    )


# The key of a vendor's setting: the vendor's name, the rest of the key (one
# word run, a few more words), a separator; the value must have the shape.
_KEYED = (
    r"(?i:{names})[\w.\-]{{0,40}}\\{{0,3}}[\"']?[ \t]{{0,8}}(?:=>|:=|[:=])[ \t]{{0,8}}"
    r"\\{{0,3}}[\"'`]?(?P<secret>{value})(?![\w\-])"
)


def _keyed(
    name: str, description: str, names: tuple[str, ...], value: str, check: Callable[[str], bool]
) -> SecretRule:
    """A value of a known shape under a key that names the vendor (``ALGOLIA_KEY=…``)."""
    source = _KEYED.format(names="|".join(re.escape(n) for n in names), value=value)
    return SecretRule(name, names, source, check=check, description=description)


_HEX = "[a-fA-F0-9]"
_UUID = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_GITLAB = {
    "gitlab-pat": ("glpat-", "personal, project and group access tokens"),
    "gitlab-deploy-token": ("gldt-", "deploy tokens"),
    "gitlab-runner-token": ("glrt-", "runner authentication tokens"),
    "gitlab-cicd-job-token": ("glcbt-", "CI/CD job tokens"),
    "gitlab-trigger-token": ("glptt-", "pipeline trigger tokens"),
    "gitlab-feed-token": ("glft-", "feed tokens"),
    "gitlab-incoming-mail-token": ("glimt-", "incoming mail tokens"),
    "gitlab-agent-token": ("glagent-", "Kubernetes agent tokens"),
    "gitlab-scim-token": ("glsoat-", "SCIM tokens"),
    "gitlab-feature-flag-token": ("glffct-", "feature flag client tokens"),
    "gitlab-oauth-secret": ("gloas-", "OAuth application secrets"),
    "gitlab-workspace-token": ("glwt-", "workspace tokens"),
}

_PEM = (
    r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"(?P<secret>[A-Za-z0-9+/=\s\\:,.\-]+?(?=-----END)|[A-Za-z0-9+/=\s\\:,.\-]+)"
)
_TOKENISH = re.compile(r".[A-Z]|.*[0-9]")


def _tokenish(word: str) -> bool:
    """A credential, not prose: a digit or an inner capital ("Bearer authentication" is prose)."""
    return _TOKENISH.match(word) is not None


#: The default secret formats, in the order they are tried at one place.
DEFAULT_RULES: tuple[SecretRule, ...] = (
    # ---- keys, passwords and credentials of any vendor -----------------------
    SecretRule(
        "private-key",
        ("-----begin",),
        _PEM,
        description="PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP): the body",
    ),
    SecretRule(
        "putty-private-key",
        ("private-lines:",),
        r"Private-Lines: *[0-9]+"
        r"(?P<secret>[A-Za-z0-9+/=\s\\]+?(?=Private-MAC)|[A-Za-z0-9+/=\s\\]+)",
        description="PuTTY private keys (.ppk): the private lines",
    ),
    SecretRule(
        "url-password",
        ("://",),
        # The password runs to the last "@" before the path; failing that, it
        # may hold an unencoded "/", "?" or "#" (but not be a port: host:8443/).
        r"://[^\s:/?#@'\"<>]*:(?P<secret>[^\s/?#'\"<>]+(?=@)"
        r"|(?![0-9]{1,5}(?:[/?#]|$))[^\s'\"<>@]{1,128}(?=@))@",
        description="user:password@ in URLs and DSNs (up to the last @ before the path)",
        needs="@",
    ),
    SecretRule(
        "auth-scheme",
        ("bearer", "basic"),
        rf"{_START}(?i:bearer|basic)[ \t]+(?P<secret>(?=[A-Za-z0-9\-._~+/]{{8}})"
        r"[A-Za-z0-9\-._~+/]*[A-Za-z0-9\-_~+/]=*)(?![=A-Za-z0-9])",
        check=_tokenish,
        description="a credential after Bearer or Basic (with a digit or an inner capital)",
    ),
    SecretRule(
        "curl-user",
        ("-u ", "-u\t", "--user"),
        r"(?<![\w\-])(?:-u|--user)(?:[ \t]+|=)['\"]?[^\s:'\"]+:(?P<secret>[^\s'\"]+)",
        description="curl -u / --user user:password",
    ),
    SecretRule(
        "curl-oauth2-bearer",
        ("--oauth2-bearer",),
        r"--oauth2-bearer[ \t]+['\"]?(?P<secret>[^\s'\"]+)",
        description="curl --oauth2-bearer TOKEN",
    ),
    SecretRule(
        "nuget-password",
        ('<add key="',),
        r"<add key=\"(?:ClearText)?Password\"\s*value=\"(?P<secret>[^\"]+)\"",
        description='NuGet.config <add key="ClearTextPassword" value="…"/>',
    ),
    SecretRule(
        "azure-storage-key",
        ("accountkey=",),
        r"(?i:AccountKey)=(?P<secret>[A-Za-z0-9+/=]{20,})",
        description="AccountKey= in Azure storage connection strings",
    ),
    # ---- command lines, SQL, protocols -----------------------------------------
    SecretRule(
        "mysql-password-flag",
        ("mysql",),
        r"mysql(?:dump|admin|sh)?(?:[ \t]+[^\s]+){0,12}?[ \t]+-p(?P<secret>[^\s'\"\-][^\s'\"]*)",
        description="mysql -pPASSWORD (also mysqldump, mysqladmin)",
    ),
    SecretRule(
        "sshpass",
        ("sshpass",),
        r"sshpass[ \t]+-p[ \t]*['\"]?(?P<secret>[^\s'\"]+)",
        description="sshpass -p PASSWORD",
    ),
    SecretRule(
        "docker-login-password",
        ("docker login",),
        r"docker login(?:[ \t]+[^\s]+){0,8}?[ \t]+-p(?:[ \t]+|=)['\"]?(?P<secret>[^\s'\"]+)",
        description="docker login -p PASSWORD",
    ),
    SecretRule(
        "redis-cli-password",
        ("redis-cli",),
        r"redis-cli(?:[ \t]+[^\s]+){0,8}?[ \t]+-a[ \t]+['\"]?(?P<secret>[^\s'\"]+)",
        description="redis-cli -a PASSWORD",
    ),
    SecretRule(
        "openssl-pass",
        ("pass:",),
        r"-pass(?:in|out)?[ \t]+pass:(?P<secret>[^\s'\"]+)",
        back=12,
        description="openssl … -pass pass:PASSWORD (-passin, -passout)",
    ),
    SecretRule(
        "htpasswd-batch",
        ("htpasswd",),
        r"htpasswd[ \t]+-[A-Za-z]*b[A-Za-z]*(?:[ \t]+-[A-Za-z]+)?[ \t]+[^\s]+[ \t]+[^\s]+"
        r"[ \t]+['\"]?(?P<secret>[^\s'\"]+)",
        description="htpasswd -b FILE USER PASSWORD",
    ),
    SecretRule(
        "aws-configure-set",
        ("aws configure set",),
        r"aws configure set[ \t]+(?:[\w.]+\.)?(?:aws_secret_access_key|aws_session_token)"
        r"[ \t]+['\"]?(?P<secret>[^\s'\"]+)",
        description="aws configure set aws_secret_access_key SECRET",
    ),
    SecretRule(
        "sqlplus-password",
        ("sqlplus",),
        r"sqlplus(?:[ \t]+-[A-Za-z]+)*[ \t]+['\"]?[^\s/@'\"]+/(?P<secret>[^\s@'\"]+)",
        description="sqlplus USER/PASSWORD@DB",
    ),
    SecretRule(
        "sql-password",
        ("password '", 'password "', "password e'"),
        # Upper case (SQL), or after WITH / ENCRYPTED: not "the password 'x'" in prose.
        r"(?:PASSWORD|(?<=[Ww][Ii][Tt][Hh] )password|(?<=[Ee][Dd] )password)[ \t]+"
        r"(?:[Ee]?'(?P<secret>(?:[^'\r\n]|'')+)'|\"(?P<x>[^\"\r\n]+)\")",
        description="SQL … PASSWORD 'secret' (CREATE/ALTER USER, ROLE)",
    ),
    SecretRule(
        "sql-identified-by",
        ("identified by",),
        r"(?i:identified)[ \t]+(?i:by)[ \t]+(?:(?i:values)[ \t]+)?['\"]?(?P<secret>[^\s'\";]+)",
        description="SQL IDENTIFIED BY 'secret' (MySQL, Oracle)",
    ),
    SecretRule(
        "redis-auth",
        ("auth ", '"auth"'),
        # Upper case, as the command is written (not "auth failed" in prose).
        r"(?<![\w\-])(?:AUTH|\"AUTH\")[ \t]+(?!PLAIN|LOGIN|CRAM|XOAUTH)"
        # The password, or user and password when the command ends there.
        r"(?P<secret>[^\s]+(?:[ \t]+[^\s]+(?=[ \t]*(?:$|[\r\n])))?)",
        description="redis AUTH [user] PASSWORD (a command line, or MONITOR output)",
    ),
    SecretRule(
        "smtp-auth",
        ("auth plain", "auth login", "auth xoauth2"),
        r"(?i:AUTH)[ \t]+(?i:PLAIN|LOGIN|XOAUTH2)[ \t]+(?P<secret>[A-Za-z0-9+/=]{4,})",
        description="SMTP AUTH PLAIN/LOGIN/XOAUTH2 credentials",
    ),
    SecretRule(
        "netrc-password",
        ("machine ",),
        r"machine[ \t]+[^\s]+[ \t]+(?:login[ \t]+[^\s]+[ \t]+)?password[ \t]+(?P<secret>[^\s]+)",
        description=".netrc machine HOST login USER password PASSWORD",
    ),
    SecretRule(
        "digest-auth",
        ("digest ",),
        # name=value or name="value" parameters, one after another.
        r"(?i:digest)[ \t]+(?P<secret>(?:[A-Za-z]+=(?:\"[^\"\r\n]*\"|[^\s,\"]+),?[ \t]*)+)",
        description="Authorization: Digest … (the parameters, response included)",
    ),
    SecretRule(
        "stripe-signature",
        ("v1=", "v0="),
        r"(?<![\w])v[01]=(?P<secret>[a-f0-9]{32,})",
        description="the v1= (and v0=) signatures of a Stripe-Signature header",
    ),
    SecretRule(
        "url-query-secret",
        ("?code=", "&code=", "?key=", "&key=", "?appid=", "&appid=", "?app_id=", "&app_id="),
        r"[?&](?:code|key|appid|app_id)=(?P<secret>[^&#\s'\"<>]+)",
        description="OAuth ?code= and API-key parameters (?key=, ?appid=) in URLs",
    ),
    _token(
        "jwt",
        "JSON Web Tokens (signed, unsigned, JWE)",
        r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*"
        r"(?:\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*)?",
        "eyj",
    ),
    _token(
        "jwt-base64",
        "a JWT encoded once more in base64 (ZXlK…)",
        r"ZXlK[A-Za-z0-9+/]{40,}={0,2}",
        "zxlk",
    ),
    # ---- AWS, Google, Azure, other clouds -------------------------------------
    _token(
        "aws-access-key-id",
        "AWS access key ids (AKIA, ASIA, ABIA, ACCA, A3T…)",
        r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
        *("akia", "asia", "abia", "acca", "a3t"),
    ),
    _keyed(
        "aws-secret-access-key",
        "a 40-character secret key under an AWS-named key",
        ("aws",),
        r"[A-Za-z0-9/+]{40}",
        _mixed,
    ),
    _token(
        "aws-session-token",
        "AWS STS session tokens (IQoJb3JpZ2lu…, FwoGZXIvYXdz…)",
        r"(?:IQoJb3JpZ2lu|FwoGZXIvYXdz)[A-Za-z0-9+/=]{60,}",
        *("iqojb3jpz2lu", "fwogzxivyxdz"),
    ),
    _token(
        "aws-bedrock-api-key",
        "Amazon Bedrock API keys (ABSK…, bedrock-api-key-…)",
        r"ABSK[A-Za-z0-9+/]{100,}={0,2}|bedrock-api-key-[A-Za-z0-9+/=%&._\-]{20,}",
        *("absk", "bedrock-api-key-"),
    ),
    _token("gcp-api-key", "Google API keys", r"AIza[A-Za-z0-9_\-]{35}", "aiza"),
    _token(
        "google-oauth-token", "Google OAuth access tokens", r"ya29\.[A-Za-z0-9_\-]{20,}", "ya29."
    ),
    _token(
        "google-client-secret",
        "Google OAuth client secrets",
        r"GOCSPX-[A-Za-z0-9_\-]{20,}",
        "gocspx-",
    ),
    _token("google-refresh-token", "Google refresh tokens", r"1//0[A-Za-z0-9_\-]{40,}", "1//0"),
    _inner(
        "azure-ad-client-secret",
        "Microsoft Entra ID (Azure AD) client secrets (…8Q~…)",
        r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}",
        "q~",
        4,
        _mixed,
    ),
    _token(
        "alibaba-access-key-id",
        "Alibaba Cloud AccessKey ids",
        r"LTAI[A-Za-z0-9]{20}",
        "ltai",
        end=True,
    ),
    _keyed(
        "alibaba-secret-key",
        "Alibaba Cloud AccessKey secrets under an alibaba-named key",
        ("alibaba", "aliyun"),
        r"[A-Za-z0-9]{30}",
        _random,
    ),
    _token(
        "tencent-secret-id", "Tencent Cloud SecretIds", r"AKID[A-Za-z0-9]{32}", "akid", end=True
    ),
    _token(
        "scaleway-access-key",
        "Scaleway access keys",
        r"SCW[A-Z0-9]{17}",
        "scw",
        check=_mixed,
        end=True,
    ),
    _keyed(
        "scaleway-secret-key", "Scaleway secret keys", ("scaleway", "scw_secret"), _UUID, _random
    ),
    _token(
        "digitalocean-pat", "DigitalOcean personal access tokens", r"dop_v1_[a-f0-9]{64}", "dop_v1_"
    ),
    _token(
        "digitalocean-oauth-token", "DigitalOcean OAuth tokens", r"doo_v1_[a-f0-9]{64}", "doo_v1_"
    ),
    _token(
        "digitalocean-refresh-token",
        "DigitalOcean refresh tokens",
        r"dor_v1_[a-f0-9]{64}",
        "dor_v1_",
    ),
    _keyed("linode-token", "Linode API tokens", ("linode",), r"[a-f0-9]{64}", _random),
    _keyed("vultr-api-key", "Vultr API keys", ("vultr",), r"[A-Z0-9]{36}", _random),
    _keyed(
        "hetzner-token",
        "Hetzner Cloud API tokens",
        ("hetzner", "hcloud"),
        r"[A-Za-z0-9]{64}",
        _random,
    ),
    _keyed("ibm-cloud-api-key", "IBM Cloud API keys", ("ibm",), r"[A-Za-z0-9_\-]{44}", _random),
    _token(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA keys",
        r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}",
        "v1.0-",
    ),
    _keyed(
        "cloudflare-api-key",
        "Cloudflare API tokens and global keys",
        ("cloudflare", "cf_api"),
        r"[A-Za-z0-9_\-]{37,40}",
        _random,
    ),
    _token(
        "heroku-api-key-v2", "Heroku API keys (HRKU-AA…)", r"HRKU-AA[0-9A-Za-z_\-]{58}", "hrku-"
    ),
    _keyed("heroku-api-key", "Heroku API keys (UUID)", ("heroku",), _UUID, _random),
    _token(
        "flyio-token",
        "Fly.io tokens (fo1_, fm1a_, fm1r_, fm2_)",
        r"fo1_[A-Za-z0-9_\-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3}",
        *("fo1_", "fm1a_", "fm1r_", "fm2_"),
    ),
    _token("render-api-key", "Render API keys", r"rnd_[A-Za-z0-9]{32}", "rnd_", end=True),
    _token("netlify-pat", "Netlify personal access tokens", r"nfp_[A-Za-z0-9]{36}", "nfp_"),
    _keyed(
        "netlify-token", "Netlify access tokens", ("netlify",), r"[A-Za-z0-9=_\-]{40,46}", _random
    ),
    _keyed("vercel-token", "Vercel tokens", ("vercel",), r"[A-Za-z0-9]{24}", _random),
    _token("supabase-pat", "Supabase access tokens", r"sbp_[a-f0-9]{40}", "sbp_"),
    _token(
        "supabase-secret-key",
        "Supabase secret API keys",
        r"sb_secret_[A-Za-z0-9_\-]{20,}",
        "sb_secret_",
    ),
    _token("neon-api-key", "Neon API keys", r"napi_[a-z0-9]{64}", "napi_"),
    _token(
        "planetscale-token",
        "PlanetScale service tokens, OAuth tokens and passwords",
        r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.\-]{32,}",
        *("pscale_tkn_", "pscale_oauth_", "pscale_pw_"),
    ),
    _token(
        "clickhouse-cloud-key",
        "ClickHouse Cloud API secret keys",
        r"4b1d[A-Za-z0-9]{38}",
        "4b1d",
        end=True,
    ),
    _token("databricks-token", "Databricks tokens", r"dapi[a-f0-9]{32}(?:-[0-9])?", "dapi"),
    _keyed("snowflake-password", "Snowflake passwords", ("snowflake",), r"[^\s'\"]{8,}", _mixed),
    _token("openshift-token", "OpenShift user tokens", r"sha256~[A-Za-z0-9_\-]{43}", "sha256~"),
    _inner(
        "terraform-cloud-token",
        "Terraform Cloud / HCP Terraform API tokens (….atlasv1.…)",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,}",
        ".atlasv1.",
        14,
        _mixed,
    ),
    _token("pulumi-token", "Pulumi access tokens", r"pul-[a-f0-9]{40}", "pul-"),
    _token(
        "vault-service-token",
        "HashiCorp Vault service tokens (hvs., and legacy s.)",
        r"hvs\.[A-Za-z0-9_\-]{24,}|s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_\-.])",
        *("hvs.", "s."),
        check=_random,
    ),
    _token(
        "vault-batch-token", "HashiCorp Vault batch tokens", r"hvb\.[A-Za-z0-9_\-]{24,}", "hvb."
    ),
    _token(
        "vault-recovery-token",
        "HashiCorp Vault recovery tokens",
        r"hvr\.[A-Za-z0-9_\-]{24,}",
        "hvr.",
    ),
    _token(
        "doppler-token",
        "Doppler tokens (personal, service, service account, CLI, SCIM, audit)",
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9._\-]{40,}",
        *("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
    ),
    _token(
        "1password-secret-key",
        "1Password account secret keys",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
        "a3-",
    ),
    _token(
        "1password-service-account-token",
        "1Password service account tokens",
        r"ops_eyJ[A-Za-z0-9+/]{100,}={0,3}",
        "ops_eyj",
    ),
    _token("age-secret-key", "age secret keys", r"AGE-SECRET-KEY-1[0-9A-Z]{58}", "age-secret-key-"),
    # ---- source hosting, CI/CD, package registries ---------------------------
    _token("github-pat", "GitHub personal access tokens", r"ghp_[A-Za-z0-9]{36,}", "ghp_"),
    _token("github-oauth", "GitHub OAuth tokens", r"gho_[A-Za-z0-9]{36,}", "gho_"),
    _token(
        "github-app-token",
        "GitHub App user-to-server and installation tokens",
        r"gh[us]_[A-Za-z0-9]{36,}",
        *("ghu_", "ghs_"),
    ),
    _token("github-refresh-token", "GitHub refresh tokens", r"ghr_[A-Za-z0-9]{36,}", "ghr_"),
    _token(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access tokens",
        r"github_pat_[A-Za-z0-9_]{22,}",
        "github_pat_",
    ),
    *(
        _token(name, f"GitLab {what}", rf"{re.escape(prefix)}[A-Za-z0-9_.\-]{{20,}}", prefix)
        for name, (prefix, what) in _GITLAB.items()
    ),
    _token(
        "gitlab-runner-registration-token",
        "GitLab runner registration tokens",
        r"GR1348941[A-Za-z0-9_\-]{20,}",
        "gr1348941",
    ),
    SecretRule(
        "gitlab-session-cookie",
        ("_gitlab_session=",),
        r"_gitlab_session=(?P<secret>[0-9a-z]{32})",
        description="GitLab session cookies",
    ),
    _token(
        "bitbucket-api-token",
        "Bitbucket API tokens and app passwords (ATBB…)",
        r"ATBB[A-Za-z0-9_=.\-]{32,}",
        "atbb",
    ),
    _keyed(
        "bitbucket-client-secret",
        "Bitbucket OAuth client secrets",
        ("bitbucket",),
        r"[A-Za-z0-9=_\-]{64}",
        _random,
    ),
    _token(
        "atlassian-api-token",
        "Atlassian API tokens (ATATT3…, ATCTT3…)",
        r"AT[AC]TT3[A-Za-z0-9_=\-]{100,}",
        *("atatt3", "atctt3"),
    ),
    _keyed(
        "atlassian-legacy-token",
        "legacy Atlassian (Jira, Confluence) API tokens",
        ("atlassian", "jira", "confluence"),
        r"[A-Za-z0-9]{24}",
        _random,
    ),
    _token(
        "docker-hub-token",
        "Docker Hub personal and organization access tokens",
        r"dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,}",
        *("dckr_pat_", "dckr_oat_"),
    ),
    _token("npm-token", "npm access tokens", r"npm_[A-Za-z0-9]{36,}", "npm_"),
    _token("pypi-token", "PyPI upload tokens", r"pypi-AgE[A-Za-z0-9_\-]{50,}", "pypi-"),
    _token("rubygems-token", "RubyGems API keys", r"rubygems_[a-f0-9]{48}", "rubygems_"),
    _token("clojars-token", "Clojars deploy tokens", r"(?i:CLOJARS_)[a-z0-9]{60}", "clojars_"),
    _keyed("nuget-api-key", "NuGet API keys", ("nuget",), r"oy2[a-z0-9]{43}", _mixed),
    _token(
        "artifactory-api-key",
        "JFrog Artifactory API keys",
        r"AKCp[A-Za-z0-9]{60,}",
        "akcp",
        end=True,
    ),
    _token(
        "artifactory-reference-token",
        "JFrog Artifactory reference tokens",
        r"cmVmd[A-Za-z0-9]{50,}",
        "cmvmd",
        end=True,
    ),
    _keyed(
        "jfrog-token",
        "JFrog API keys and identity tokens under a JFrog-named key",
        ("jfrog", "artifactory", "bintray", "xray"),
        r"[A-Za-z0-9]{64,73}",
        _random,
    ),
    _token(
        "sonarqube-token",
        "SonarQube tokens (project, user, global analysis)",
        r"sq[pua]_[a-f0-9]{40}",
        *("sqp_", "squ_", "sqa_"),
    ),
    _token(
        "circleci-token",
        "CircleCI personal API tokens",
        r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}",
        "ccipat_",
    ),
    _token("buildkite-token", "Buildkite API access tokens", r"bkua_[a-f0-9]{40}", "bkua_"),
    _keyed("travisci-token", "Travis CI access tokens", ("travis",), r"[A-Za-z0-9]{22}", _random),
    _keyed("codecov-token", "Codecov tokens", ("codecov",), r"[A-Za-z0-9\-]{32,36}", _random),
    _keyed("droneci-token", "Drone CI tokens", ("drone",), r"[A-Za-z0-9]{32}", _random),
    _keyed("snyk-token", "Snyk API tokens", ("snyk",), _UUID, _random),
    _token(
        "sourcegraph-token",
        "Sourcegraph access tokens",
        r"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}",
        "sgp_",
    ),
    _token(
        "harness-token",
        "Harness personal and service account tokens",
        r"(?:pat|sat)\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",
        *("pat.", "sat."),
    ),
    _token(
        "octopus-deploy-api-key",
        "Octopus Deploy API keys",
        r"API-[A-Z0-9]{26}",
        "api-",
        check=_mixed,
        end=True,
    ),
    _token("infracost-token", "Infracost API tokens", r"ico-[A-Za-z0-9]{32}", "ico-", end=True),
    _token("scalingo-token", "Scalingo API tokens", r"tk-us-[A-Za-z0-9_\-]{48}", "tk-us-"),
    _token(
        "settlemint-token",
        "SettleMint application, personal and service tokens",
        r"sm_(?:aat|pat|sat)_[A-Za-z0-9]{16,}",
        *("sm_aat_", "sm_pat_", "sm_sat_"),
    ),
    _token(
        "defined-networking-token",
        "Defined Networking API tokens",
        r"dnkey-[A-Za-z0-9=_\-]{26}-[A-Za-z0-9=_\-]{52}",
        "dnkey-",
    ),
    # ---- chat, mail, messaging ------------------------------------------------
    _token(
        "slack-bot-token",
        "Slack bot tokens",
        r"xoxb-[0-9]{8,14}-[A-Za-z0-9\-]{10,}",
        "xoxb-",
    ),
    _token(
        "slack-user-token",
        "Slack user tokens",
        r"xox[pe]-[0-9]{8,14}-[A-Za-z0-9\-]{10,}",
        *("xoxp-", "xoxe-"),
    ),
    _token(
        "slack-legacy-token",
        "Slack legacy, workspace and refresh tokens",
        r"xox[aors]-[A-Za-z0-9\-]{10,}",
        *("xoxa-", "xoxo-", "xoxr-", "xoxs-"),
    ),
    _token(
        "slack-config-token",
        "Slack configuration access tokens",
        r"xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{100,}",
        "xoxe.xox",
    ),
    _token("slack-app-token", "Slack app-level tokens", r"xapp-[0-9]-[A-Za-z0-9\-]{10,}", "xapp-"),
    SecretRule(
        "slack-webhook",
        ("hooks.slack.com/",),
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9+/_\-]{20,})",
        description="Slack incoming webhook, workflow and trigger URLs: the path",
    ),
    SecretRule(
        "discord-webhook",
        ("discord.com/api/webhooks/", "discordapp.com/api/webhooks/"),
        r"discord(?:app)?\.com/api/webhooks/[0-9]{5,30}/(?P<secret>[A-Za-z0-9_\-]{20,})",
        description="Discord webhook URLs: the token",
    ),
    _keyed(
        "discord-bot-token",
        "Discord bot tokens and client secrets under a Discord-named key",
        ("discord",),
        r"[A-Za-z0-9_\-]{24,28}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,}|[a-f0-9]{64}|[A-Za-z0-9_\-]{32}",
        _mixed,
    ),
    SecretRule(
        "teams-webhook",
        ("webhook.office.com/webhookb2/",),
        r"webhook\.office\.com/webhookb2/(?P<secret>[A-Za-z0-9@/\-]{40,})",
        description="Microsoft Teams incoming webhook URLs: the path",
    ),
    SecretRule(
        "zapier-webhook",
        ("hooks.zapier.com/hooks/catch/",),
        r"hooks\.zapier\.com/hooks/catch/[0-9]+/(?P<secret>[A-Za-z0-9]{5,})",
        description="Zapier catch hook URLs: the key",
    ),
    SecretRule(
        "telegram-bot-token",
        (":aa",),
        r"(?<![0-9])(?P<secret>[0-9]{5,16}:AA[A-Za-z0-9_\-]{33})(?![A-Za-z0-9_\-])",
        back=16,
        description="Telegram bot tokens (123456789:AA…), as in api.telegram.org/bot… URLs",
    ),
    _token(
        "twilio-api-key", "Twilio API key SIDs", r"SK[0-9a-fA-F]{32}", "sk", check=_mixed, end=True
    ),
    _keyed("twilio-auth-token", "Twilio auth tokens", ("twilio",), r"[a-f0-9]{32}", _random),
    _token(
        "sendgrid-api-key",
        "SendGrid API keys",
        r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",
        "sg.",
    ),
    _token(
        "brevo-api-key",
        "Brevo (Sendinblue) API and SMTP keys",
        r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        *("xkeysib-", "xsmtpsib-"),
    ),
    _inner(
        "mailchimp-api-key",
        "Mailchimp API keys (…-us12)",
        r"[0-9a-f]{32}-us[0-9]{1,2}",
        "-us",
        32,
        _mixed,
    ),
    _token("mailgun-api-key", "Mailgun private API keys", r"key-[0-9a-f]{32}", "key-", end=True),
    _keyed(
        "mailgun-signing-key",
        "Mailgun webhook signing keys",
        ("mailgun",),
        r"[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}",
        _mixed,
    ),
    _keyed("postmark-token", "Postmark server and account tokens", ("postmark",), _UUID, _random),
    _keyed(
        "mailjet-key",
        "Mailjet API keys and secrets",
        ("mailjet", "mj_apikey"),
        r"[a-f0-9]{32}",
        _random,
    ),
    _keyed("sparkpost-key", "SparkPost API keys", ("sparkpost",), r"[a-f0-9]{40}", _random),
    _keyed(
        "mandrill-key",
        "Mandrill (Mailchimp Transactional) API keys",
        ("mandrill",),
        r"[A-Za-z0-9_\-]{22}",
        _random,
    ),
    _keyed(
        "messagebird-key",
        "MessageBird API keys",
        ("messagebird", "message_bird"),
        r"[A-Za-z0-9]{25}",
        _random,
    ),
    _keyed(
        "vonage-secret",
        "Vonage (Nexmo) API secrets",
        ("vonage", "nexmo"),
        r"[A-Za-z0-9]{16}",
        _random,
    ),
    _keyed("plivo-token", "Plivo auth tokens", ("plivo",), r"[A-Za-z0-9]{40}", _random),
    _keyed("sendbird-token", "Sendbird API tokens", ("sendbird",), r"[a-f0-9]{40}", _random),
    _keyed(
        "mattermost-token", "Mattermost access tokens", ("mattermost",), r"[a-z0-9]{26}", _random
    ),
    _keyed("gitter-token", "Gitter access tokens", ("gitter",), r"[a-z0-9_\-]{40}", _random),
    _keyed(
        "intercom-token", "Intercom access tokens", ("intercom",), r"[A-Za-z0-9=_\-]{60}", _random
    ),
    _keyed("pagerduty-key", "PagerDuty API keys", ("pagerduty",), r"[A-Za-z0-9_+\-]{20}", _random),
    _keyed("opsgenie-key", "Opsgenie API keys", ("opsgenie",), _UUID, _random),
    # ---- social and consumer platforms ---------------------------------------
    _token(
        "facebook-page-token",
        "Facebook / Meta page and user access tokens (EAAM…, EAAC…)",
        r"EAA[MC][A-Za-z0-9]{100,}",
        *("eaam", "eaac"),
    ),
    _keyed(
        "facebook-secret",
        "Facebook app secrets and app access tokens",
        ("facebook", "fb_app"),
        r"[0-9]{15,16}(?:\||%7C)[0-9A-Za-z_\-]{27,40}|[a-f0-9]{32}",
        _mixed,
    ),
    _keyed(
        "twitter-bearer-token",
        "X (Twitter) app bearer tokens under a Twitter-named key",
        ("twitter",),
        r"A{22}[A-Za-z0-9%]{80,}",
        _mixed,
    ),
    _keyed(
        "twitter-secret",
        "X (Twitter) API secrets and access tokens",
        ("twitter",),
        r"[0-9]{15,25}-[A-Za-z0-9]{20,40}|[A-Za-z0-9]{45,50}|[A-Za-z0-9]{25}",
        _random,
    ),
    _keyed(
        "linkedin-secret",
        "LinkedIn client secrets",
        ("linkedin", "linked_in"),
        r"[A-Za-z0-9]{16}",
        _random,
    ),
    _keyed("twitch-token", "Twitch API tokens", ("twitch",), r"[a-z0-9]{30}", _random),
    _token(
        "dropbox-short-lived-token",
        "Dropbox short-lived access tokens",
        r"sl\.[A-Za-z0-9\-=_]{130,}",
        "sl.",
    ),
    _keyed(
        "dropbox-token",
        "Dropbox long-lived tokens and app secrets",
        ("dropbox",),
        r"[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9\-_=]{43}|[A-Za-z0-9]{15}",
        _random,
    ),
    _keyed("flickr-token", "Flickr access tokens", ("flickr",), r"[a-z0-9]{32}", _random),
    _keyed(
        "yandex-token",
        "Yandex API keys and tokens",
        ("yandex",),
        r"t1\.[A-Za-z0-9_\-]+=*\.[A-Za-z0-9_\-]{86}=*|AQVN[A-Za-z0-9_\-]{35,38}|YC[A-Za-z0-9_\-]{38}",
        _mixed,
    ),
    _keyed("nytimes-key", "New York Times API keys", ("nytimes",), r"[A-Za-z0-9=_\-]{32}", _random),
    _keyed("spotify-secret", "Spotify client secrets", ("spotify",), r"[a-f0-9]{32}", _random),
    # ---- payments, commerce ---------------------------------------------------
    _token(
        "stripe-secret-key",
        "Stripe secret keys (sk_live_, sk_test_)",
        r"sk_(?:test|live|prod)_[A-Za-z0-9]{10,}",
        "sk_",
    ),
    _token(
        "stripe-restricted-key",
        "Stripe restricted keys (rk_live_, rk_test_)",
        r"rk_(?:test|live|prod)_[A-Za-z0-9]{10,}",
        "rk_",
    ),
    _token(
        "stripe-webhook-secret",
        "Stripe webhook signing secrets",
        r"whsec_[A-Za-z0-9+/=]{20,}",
        "whsec_",
    ),
    _token(
        "square-access-token",
        "Square access tokens (EAAA…, sq0atp-)",
        r"EAAA[A-Za-z0-9_\-]{60,}|sq0atp-[A-Za-z0-9_\-]{22,}",
        *("eaaa", "sq0atp-"),
    ),
    _token(
        "square-oauth-secret", "Square OAuth secrets", r"sq0csp-[A-Za-z0-9_\\\-]{43}", "sq0csp-"
    ),
    SecretRule(
        "braintree-access-token",
        ("access_token$production$", "access_token$sandbox$"),
        r"access_token\$(?:production|sandbox)\$(?P<secret>[a-z0-9]{16}\$[a-f0-9]{32})",
        description="PayPal Braintree access tokens",
    ),
    _token(
        "flutterwave-secret-key",
        "Flutterwave secret and encryption keys",
        r"FLWSECK(?:_TEST)?-?[a-hA-H0-9]{12,32}(?:-X)?",
        "flwseck",
    ),
    _token(
        "duffel-token",
        "Duffel API tokens",
        r"duffel_(?:test|live)_[A-Za-z0-9_\-=]{43}",
        "duffel_",
    ),
    _token(
        "easypost-api-key",
        "EasyPost production and test API keys",
        r"EZ[AT]K[A-Za-z0-9]{54}",
        *("ezak", "eztk"),
    ),
    _token("shippo-token", "Shippo API tokens", r"shippo_(?:live|test)_[a-fA-F0-9]{40}", "shippo_"),
    _token("shopify-access-token", "Shopify access tokens", r"shpat_[a-fA-F0-9]{32}", "shpat_"),
    _token(
        "shopify-custom-app-token", "Shopify custom app tokens", r"shpca_[a-fA-F0-9]{32}", "shpca_"
    ),
    _token(
        "shopify-private-app-token",
        "Shopify private app tokens",
        r"shppa_[a-fA-F0-9]{32}",
        "shppa_",
    ),
    _token("shopify-shared-secret", "Shopify shared secrets", r"shpss_[a-fA-F0-9]{32}", "shpss_"),
    _token(
        "plaid-access-token",
        "Plaid access tokens",
        rf"access-(?:sandbox|development|production)-{_UUID}",
        *("access-sandbox-", "access-development-", "access-production-"),
    ),
    _keyed("plaid-secret", "Plaid secrets", ("plaid",), r"[a-z0-9]{30}", _random),
    _keyed(
        "gocardless-token",
        "GoCardless access tokens",
        ("gocardless",),
        r"(?:live|sandbox)_[A-Za-z0-9\-_=]{40}",
        _mixed,
    ),
    _keyed(
        "coinbase-token", "Coinbase access tokens", ("coinbase",), r"[A-Za-z0-9_\-]{64}", _random
    ),
    _keyed("kraken-token", "Kraken API secrets", ("kraken",), r"[A-Za-z0-9/=_+\-]{80,90}", _random),
    _keyed(
        "kucoin-secret",
        "KuCoin API keys and secrets",
        ("kucoin",),
        rf"{_UUID}|[a-f0-9]{{24}}",
        _random,
    ),
    _keyed("bittrex-key", "Bittrex API keys and secrets", ("bittrex",), r"[a-z0-9]{32}", _random),
    _keyed("lob-api-key", "Lob API keys", ("lob_", "lob-"), r"(?:live|test)_[a-f0-9]{35}", _mixed),
    _keyed(
        "finicity-secret",
        "Finicity API tokens and secrets",
        ("finicity",),
        r"[a-f0-9]{32}|[a-z0-9]{20}",
        _random,
    ),
    _keyed(
        "freshbooks-token", "FreshBooks access tokens", ("freshbooks",), r"[a-z0-9]{64}", _random
    ),
    _keyed("squarespace-token", "Squarespace access tokens", ("squarespace",), _UUID, _random),
    _keyed("etsy-token", "Etsy access tokens", ("etsy",), r"[a-z0-9]{24}", _random),
    _keyed("razorpay-secret", "Razorpay key secrets", ("razorpay",), r"[A-Za-z0-9]{24}", _random),
    _keyed("paypal-secret", "PayPal client secrets", ("paypal",), r"[A-Za-z0-9_\-]{80}", _random),
    _keyed("adyen-api-key", "Adyen API keys", ("adyen",), r"AQE[A-Za-z0-9+/=\-_.]{50,}", _mixed),
    _keyed(
        "sidekiq-secret",
        "Sidekiq Enterprise credentials",
        ("contribsys",),
        r"[a-f0-9]{8}:[a-f0-9]{8}",
        _mixed,
    ),
    # ---- SaaS APIs -------------------------------------------------------------
    _token("linear-api-key", "Linear API keys", r"lin_(?:api|oauth)_[A-Za-z0-9]{40}", "lin_"),
    _keyed(
        "linear-client-secret", "Linear OAuth client secrets", ("linear",), r"[a-f0-9]{32}", _random
    ),
    _token("notion-token", "Notion API tokens", r"ntn_[A-Za-z0-9]{40,}", "ntn_"),
    _token(
        "notion-secret",
        "legacy Notion integration secrets",
        r"secret_[A-Za-z0-9]{43}(?![A-Za-z0-9_])",
        "secret_",
    ),
    _token(
        "airtable-pat",
        "Airtable personal access tokens",
        r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}",
        "pat",
    ),
    _keyed(
        "airtable-api-key", "legacy Airtable API keys", ("airtable",), r"key[A-Za-z0-9]{14}", _mixed
    ),
    _keyed(
        "asana-token",
        "Asana personal access tokens and secrets",
        ("asana",),
        r"[0-9]/[0-9]{16}:[a-f0-9]{32}|[0-9]/[0-9]{16}/[0-9]{16}:[a-f0-9]{32}|[a-z0-9]{32}",
        _random,
    ),
    _token("figma-token", "Figma personal access tokens", r"figd_[A-Za-z0-9_\-]{40}", "figd_"),
    _token("clickup-token", "ClickUp personal API tokens", r"pk_[0-9]+_[A-Z0-9]{32}", "pk_"),
    _token("klaviyo-private-key", "Klaviyo private API keys", r"pk_[a-f0-9]{34}", "pk_", end=True),
    _keyed(
        "trello-key",
        "Trello API keys and tokens",
        ("trello",),
        r"[a-f0-9]{32}|ATTA[A-Za-z0-9]{60,}|[a-f0-9]{64}",
        _random,
    ),
    _token(
        "hubspot-private-app-token",
        "HubSpot private app access tokens",
        rf"pat-(?:na|eu)[0-9]-{_UUID}",
        *("pat-na", "pat-eu"),
    ),
    _keyed("hubspot-api-key", "legacy HubSpot API keys", ("hubspot",), _UUID, _random),
    _token("postman-api-key", "Postman API keys", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", "pmak-"),
    _token("readme-api-key", "ReadMe API keys", r"rdme_[a-z0-9]{70}", "rdme_"),
    _token("typeform-token", "Typeform personal tokens", r"tfp_[A-Za-z0-9\-_.=]{59}", "tfp_"),
    _token(
        "contentful-pat", "Contentful personal access tokens", r"CFPAT-[A-Za-z0-9_\-]{43}", "cfpat-"
    ),
    _keyed(
        "contentful-token",
        "Contentful delivery tokens",
        ("contentful",),
        r"[A-Za-z0-9=_\-]{43}",
        _random,
    ),
    _token("frameio-token", "Frame.io developer tokens", r"fio-u-[A-Za-z0-9\-_=]{64}", "fio-u-"),
    _token("adobe-client-secret", "Adobe client secrets", r"p8e-[A-Za-z0-9]{32}", "p8e-", end=True),
    _token(
        "mapbox-secret-token",
        "Mapbox secret tokens",
        r"sk\.eyJ[A-Za-z0-9_\-]{40,}\.[A-Za-z0-9_\-]{20,}",
        "sk.eyj",
    ),
    _inner(
        "maxmind-license-key",
        "MaxMind license keys (…_mmk)",
        r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk",
        "_mmk",
        36,
        _mixed,
    ),
    _keyed("algolia-api-key", "Algolia admin API keys", ("algolia",), r"[a-z0-9]{32}", _random),
    _keyed("zendesk-token", "Zendesk API tokens", ("zendesk",), r"[A-Za-z0-9]{40}", _random),
    _keyed("okta-token", "Okta API tokens", ("okta",), r"00[A-Za-z0-9=_\-]{40}", _random),
    _keyed("auth0-secret", "Auth0 client secrets", ("auth0",), r"[A-Za-z0-9_\-]{64}", _random),
    _keyed(
        "launchdarkly-token",
        "LaunchDarkly access tokens and SDK keys",
        ("launchdarkly",),
        rf"(?:api|sdk|mob)-{_UUID}|[A-Za-z0-9=_\-]{{40}}",
        _mixed,
    ),
    _keyed("rapidapi-key", "RapidAPI keys", ("rapidapi",), r"[A-Za-z0-9_\-]{50}", _random),
    _keyed("finnhub-token", "Finnhub access tokens", ("finnhub",), r"[a-z0-9]{20}", _random),
    _keyed("adafruit-key", "Adafruit IO keys", ("adafruit",), r"[A-Za-z0-9_\-]{32}", _random),
    _keyed("beamer-token", "Beamer API tokens", ("beamer",), r"b_[A-Za-z0-9=_\-]{44}", _mixed),
    _keyed("looker-secret", "Looker client secrets", ("looker",), r"[A-Za-z0-9]{24}", _random),
    _keyed(
        "confluent-secret",
        "Confluent Cloud API secrets",
        ("confluent",),
        r"[A-Za-z0-9+/]{64}",
        _random,
    ),
    _keyed("meraki-key", "Cisco Meraki API keys", ("meraki",), r"[0-9a-f]{40}", _random),
    _keyed(
        "privateai-key",
        "Private AI API keys",
        ("privateai", "private_ai"),
        r"[a-z0-9]{32}",
        _random,
    ),
    _keyed("fastly-token", "Fastly API tokens", ("fastly",), r"[A-Za-z0-9=_\-]{32}", _random),
    _keyed(
        "cloudinary-secret",
        "Cloudinary API secrets",
        ("cloudinary",),
        r"[A-Za-z0-9_\-]{27}",
        _random,
    ),
    _keyed(
        "algolia-admin-key",
        "Algolia admin keys under ADMIN names",
        ("algolia_admin",),
        r"[a-f0-9]{32}",
        _random,
    ),
    # ---- observability ---------------------------------------------------------
    _token(
        "sentry-org-token",
        "Sentry organization tokens",
        r"sntrys_[A-Za-z0-9_=+/.\-]{30,}",
        "sntrys_",
    ),
    _token("sentry-user-token", "Sentry user tokens", r"sntryu_[A-Za-z0-9_=+/.\-]{30,}", "sntryu_"),
    _token(
        "grafana-service-account-token",
        "Grafana service account tokens",
        r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        "glsa_",
    ),
    _token(
        "grafana-cloud-token", "Grafana Cloud API tokens", r"glc_[A-Za-z0-9+/]{32,}={0,2}", "glc_"
    ),
    _token(
        "grafana-api-key", "legacy Grafana API keys", r"eyJrIjoi[A-Za-z0-9]{70,}={0,3}", "eyjrijoi"
    ),
    _token(
        "newrelic-user-key", "New Relic user API keys", r"NRAK-[A-Za-z0-9]{27}", "nrak-", end=True
    ),
    _token("newrelic-insert-key", "New Relic insert keys", r"NRII-[A-Za-z0-9\-]{32}", "nrii-"),
    _token(
        "newrelic-browser-key",
        "New Relic browser API tokens",
        r"NRJS-[a-f0-9]{19}",
        "nrjs-",
        end=True,
    ),
    _inner(
        "newrelic-license-key",
        "New Relic license (ingest) keys (…NRAL)",
        r"[a-f0-9]{36}NRAL",
        "nral",
        36,
        _mixed,
    ),
    _token(
        "dynatrace-token",
        "Dynatrace API tokens",
        r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}",
        "dt0c01.",
    ),
    _keyed(
        "datadog-key",
        "Datadog API and application keys under a Datadog-named key",
        ("datadog", "dd_api", "dd_app"),
        r"[a-f0-9]{40}|[a-f0-9]{32}",
        _random,
    ),
    _keyed(
        "sumologic-key",
        "Sumo Logic access ids and keys",
        ("sumo",),
        r"su[A-Za-z0-9]{12}|[A-Za-z0-9]{64}",
        _random,
    ),
    _keyed(
        "honeycomb-key",
        "Honeycomb API keys",
        ("honeycomb",),
        r"[A-Za-z0-9]{22,32}|hc[a-z]{3}_[A-Za-z0-9]{50,}",
        _random,
    ),
    _keyed(
        "logdna-key", "Mezmo (LogDNA) ingestion keys", ("logdna", "mezmo"), r"[a-f0-9]{32}", _random
    ),
    _keyed("rollbar-token", "Rollbar access tokens", ("rollbar",), r"[a-f0-9]{32}", _random),
    _keyed("bugsnag-key", "Bugsnag API keys", ("bugsnag",), r"[a-f0-9]{32}", _random),
    _token(
        "langsmith-key", "LangSmith API keys", r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}", "lsv2_"
    ),
    # ---- AI model APIs -----------------------------------------------------------
    _token(
        "anthropic-api-key",
        "Anthropic API and admin keys",
        r"sk-ant-[a-z]{3,6}[0-9]{2}-[A-Za-z0-9_\-]{20,}",
        "sk-ant-",
    ),
    _token(
        "openai-api-key",
        "OpenAI project, service-account, admin and legacy keys",
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20,}",
        "sk-",
    ),
    _token(
        "model-api-key",
        "sk- keys of other model APIs (DeepSeek, Stability, …): long, with a digit",
        r"sk-(?=[A-Za-z_\-]{0,255}[0-9])[A-Za-z0-9_\-]{32,}",
        "sk-",
    ),
    _token("openrouter-key", "OpenRouter API keys", r"sk-or-v1-[a-f0-9]{64}", "sk-or-v1-"),
    _token("groq-api-key", "Groq API keys", r"gsk_[A-Za-z0-9]{52}", "gsk_"),
    _token("xai-api-key", "xAI API keys", r"xai-[A-Za-z0-9]{80}", "xai-"),
    _token("perplexity-api-key", "Perplexity API keys", r"pplx-[A-Za-z0-9]{48}", "pplx-"),
    _token("huggingface-token", "Hugging Face access tokens", r"hf_[A-Za-z0-9]{30,}", "hf_"),
    _token(
        "huggingface-org-token",
        "Hugging Face organization API tokens",
        r"api_org_[A-Za-z0-9]{30,}",
        "api_org_",
    ),
    _token("replicate-token", "Replicate API tokens", r"r8_[A-Za-z0-9]{30,}", "r8_"),
    _token("pinecone-api-key", "Pinecone API keys", r"pcsk_[A-Za-z0-9_]{50,}", "pcsk_"),
    _token("elevenlabs-api-key", "ElevenLabs API keys", r"sk_[a-f0-9]{48}", "sk_", end=True),
    _token(
        "fireworks-api-key", "Fireworks AI API keys", r"fw_[A-Za-z0-9]{24,}", "fw_", check=_mixed
    ),
    _token("prefect-token", "Prefect API keys", r"pnu_[A-Za-z0-9]{36}", "pnu_"),
    _keyed(
        "cohere-api-key", "Cohere API keys", ("cohere", "co_api_key"), r"[A-Za-z0-9]{40}", _random
    ),
    _keyed("mistral-api-key", "Mistral API keys", ("mistral",), r"[A-Za-z0-9]{32}", _random),
    _keyed("deepgram-api-key", "Deepgram API keys", ("deepgram",), r"[a-f0-9]{40}", _random),
    _keyed("assemblyai-api-key", "AssemblyAI API keys", ("assemblyai",), r"[a-f0-9]{32}", _random),
    _keyed("together-api-key", "Together AI API keys", ("together",), r"[a-f0-9]{64}", _random),
    _keyed("wandb-api-key", "Weights & Biases API keys", ("wandb",), r"[a-f0-9]{40}", _random),
    _token(
        "authress-key",
        "Authress service client access keys",
        r"(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_\-][A-Za-z0-9\-]{10,32}\.[A-Za-z0-9+/_=\-]{30,120}",
        *("sc_", "ext_", "scauth_", "authress_"),
    ),
    _token(
        "intra42-secret",
        "42 intranet client secrets",
        r"s-s4t2(?:ud|af)-[a-f0-9]{64}",
        "s-s4t2",
    ),
)


def rules_table(rules: tuple[SecretRule, ...] = DEFAULT_RULES) -> str:
    """The Markdown table of *rules* that ``docs/redaction.md`` holds (kept equal by a test)."""
    lines = ["| rule | what it finds | anchors |", "|---|---|---|"]
    for rule in rules:
        anchors = ", ".join(f"`{a.strip() or repr(a)}`" for a in rule.anchors)
        lines.append(f"| `{rule.name}` | {rule.description} | {anchors.replace('|', '&#124;')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    print(rules_table(), end="")
