"""The YAML configuration: schema and validation (CONTRACT §8); cross-checks in :mod:`.crosscheck`.

:func:`load_config` reads a file and returns a :class:`Config` or raises
:class:`~hookhub.errors.ConfigError` listing *every* problem with file, line and
key path.  Keys are snake_case; Rocket.Chat's camelCase names are accepted as
aliases so an exported integration can be pasted in.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from . import yamlsource
from .crosscheck import cross_check
from .errors import ConfigError, Problem
from .records import Limits


def _camel_or_snake(name: str) -> AliasChoices:
    return AliasChoices(name, to_camel(name))


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=AliasGenerator(validation_alias=_camel_or_snake),
        populate_by_name=True,
    )


def _split_channels(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


Channels = Annotated[list[str], BeforeValidator(_split_channels)]
#: ``""`` (what Rocket.Chat's admin form stores for a field left blank) means unset
Unset = Annotated[str | None, BeforeValidator(lambda v: None if v == "" else v)]


class ServerConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(3000, ge=0, le=65535)
    max_body_bytes: int = Field(1024 * 1024, gt=0)
    max_message_chars: int = Field(5000, gt=0)
    #: public base URL printed in start-up output and the API (e.g. https://hooks.example.com)
    public_url: str | None = None
    #: GET /metrics without the admin token (docs/operations.md)
    metrics_public: bool = False
    #: "text" (default) or "json": one JSON object per log line
    log_format: Literal["text", "json"] = "text"
    #: one log line per HTTP request (logger hookhub.access)
    access_log: bool = True
    #: connection limits for the open internet (see hookhub/serving.py and docs/robustness.md)
    keep_alive_s: int = Field(5, ge=1)
    header_timeout_s: float = Field(10, gt=0)
    body_timeout_s: float = Field(30, gt=0)
    max_connections: int = Field(4096, ge=16)
    max_header_bytes: int = Field(32768, ge=1024)
    max_header_field_bytes: int = Field(16384, ge=256)


class StorageConfig(_Model):
    url: str = "sqlite:///data/hookhub.db"
    #: history retention: keep at most this many entries per integration (0 = unlimited)
    history_max_entries: int = Field(10_000, ge=0)
    #: history retention: drop entries older than this many days (0 = unlimited)
    history_max_age_days: float = Field(30, ge=0)
    #: history pruning runs once per this many seconds for the whole cluster (docs/deployment.md)
    prune_every_s: float = Field(300, gt=0)
    #: outgoing/bridge deliveries are leased for this long, renewed while a node works on them; a dead
    #: node's deliveries are taken over after it (docs/outgoing.md)
    outbox_lease_s: float = Field(30, ge=1, le=3600)
    #: on a shared store, a sweep queues the deliveries a dead node committed but never queued, once per
    #: this many seconds for the whole cluster
    outbox_sweep_s: float = Field(60, ge=1)
    #: a commit may wait up to this long for the writes of webhooks still being processed, so that one
    #: transaction (one fsync) serves more of them; only while some are on their way (0 = never wait)
    commit_delay_ms: float = Field(2, ge=0, le=100)


class QuarantineConfig(_Model):
    """``sandbox.quarantine``: an integration whose calls keep timing out is refused for a while (503)."""

    #: timeouts within ``window_s`` that quarantine an integration (0: never)
    after: int = Field(3, ge=0)
    window_s: float = Field(60, gt=0)
    #: first quarantine in seconds; doubles with each one in a row, up to ``max_s``
    base_s: float = Field(10, gt=0)
    max_s: float = Field(600, gt=0)


class SandboxConfig(_Model):
    #: "process" (worker pool, the default) or "inprocess" (tests, debugging only)
    mode: Literal["process", "inprocess"] = "process"
    workers: int = Field(2, ge=1, le=64)
    timeout_ms: int = Field(3000, gt=0)
    memory_mb: int = Field(128, gt=0)
    max_output_bytes: int = Field(1024 * 1024, gt=0)
    concurrency: int = Field(2, ge=1)
    queue: int = Field(64, ge=0)
    #: workers kept for integrations with a clean record (new, slow or timing-out ones share the rest)
    reserved_workers: int = Field(1, ge=0)
    quarantine: QuarantineConfig = Field(default_factory=QuarantineConfig)


class AdminConfig(_Model):
    token: SecretStr | None = None
    #: who posts through POST /api/v1/chat.postMessage when no username is given
    username: str | None = None


class UserConfig(_Model):
    username: str
    name: str | None = None
    id: str | None = None

    @property
    def user_id(self) -> str:
        """The user's id: ``id`` when set, else the username."""
        return self.id or self.username


class ChannelConfig(_Model):
    name: str
    id: str | None = None
    private: bool = False
    members: list[str] = Field(default_factory=list)
    archived: bool = False

    @property
    def channel_id(self) -> str:
        """The channel's id: ``id`` when set, else its name."""
        return self.id or self.name

    @field_validator("name")
    @classmethod
    def _no_hash(cls, value: str) -> str:
        if value.startswith("#"):
            raise ValueError(f"write the channel name without '#': {value[1:]!r}")
        return value


class HttpConfig(_Model):
    allow_hosts: list[str] = Field(default_factory=list)
    allow_private: bool = False


class RateLimitConfig(_Model):
    calls: int = Field(gt=0)
    per_seconds: int = Field(60, gt=0)


#: Verifier types that check a public-key signature and take no ``secret``.
SECRETLESS_VERIFIERS = ("sns",)


class VerifyConfig(_Model):
    """``verify:``: how to check that a webhook comes from its sender."""

    #: a verifier type: github, gitlab, hmac, standard-webhooks (or one added by a plugin)
    type: str
    #: required by every type but ``sns`` (which checks Amazon's certificate instead)
    secret: SecretStr | None = None
    #: hmac only: the header holding the signature
    header: str | None = None
    #: hmac only
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    #: hmac only: text before the signature in the header, e.g. "sha256="
    prefix: str = ""
    #: hmac only
    encoding: Literal["hex", "base64"] = "hex"
    #: standard-webhooks, stripe, linear, zendesk: accepted clock difference in seconds
    tolerance_s: int = Field(300, gt=0)
    #: trello only: the hook URL exactly as registered with Trello (it is part of the signed text)
    callback_url: str | None = None
    #: sns only: the topics accepted (anyone can sign messages of their own topic)
    topic_arns: list[str] = Field(default_factory=list)
    #: sns only: a regular expression SigningCertURL must match (default: Amazon's SNS hosts)
    cert_url_pattern: str | None = None

    @model_validator(mode="after")
    def _needs_secret(self) -> VerifyConfig:
        if self.secret is None and self.type not in SECRETLESS_VERIFIERS:
            raise ValueError(f"verify.secret is required for type {self.type!r}")
        return self

    def options(self) -> dict[str, Any]:
        """The options handed to the verifier, with the secret revealed."""
        secret = self.secret.get_secret_value() if self.secret is not None else None
        return {**self.model_dump(exclude={"secret"}), "secret": secret}


#: Delivery-id headers used for de-duplication when ``dedupe.header`` is not set.
DELIVERY_HEADERS = {"github": "X-GitHub-Delivery", "standard-webhooks": "webhook-id", "gitlab": "X-Gitlab-Event-UUID",
                    "linear": "Linear-Delivery"}


class DedupeConfig(_Model):
    """``dedupe:``: answer a repeated delivery id with 200 without posting again."""

    #: header carrying the delivery id (default from the verify type, e.g. X-GitHub-Delivery)
    header: str | None = None
    window_s: int = Field(3600, gt=0)
    #: a copy arriving while the first is processed waits this long for its outcome, then 409
    wait_s: float = Field(5, ge=0, le=60)
    #: a claim not settled after this long (its node died) is taken over by the next copy
    lease_s: float = Field(60, gt=0)


_TYPES = {"incoming": "incoming", "webhook-incoming": "incoming",
          "outgoing": "outgoing", "webhook-outgoing": "outgoing"}


def _integration_type(value: Any) -> Any:
    if isinstance(value, str) and value in _TYPES:
        return _TYPES[value]
    return value


class IntegrationConfig(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=128)
    type: Annotated[Literal["incoming", "outgoing"], BeforeValidator(_integration_type)]
    name: str | None = None
    enabled: bool = True
    token: SecretStr | None = None
    channel: Channels = Field(default_factory=list)
    username: str | None = None
    alias: Unset = None
    avatar: Unset = None
    emoji: Unset = None
    override_destination_channel: bool = Field(
        False,
        validation_alias=AliasChoices(
            "override_destination_channel", "overrideDestinationChannel", "overrideDestinationChannelEnabled"),
    )
    script_enabled: bool = True
    script: str | None = None
    script_file: str | None = None
    script_engine: str | None = None
    timeout_ms: int | None = Field(None, gt=0)
    memory_mb: int | None = Field(None, gt=0)
    max_output_bytes: int | None = Field(None, gt=0)
    concurrency: int | None = Field(None, ge=1)
    queue: int | None = Field(None, ge=0)
    http: HttpConfig = Field(default_factory=HttpConfig)
    rate_limit: RateLimitConfig | None = None
    verify: VerifyConfig | None = None
    dedupe: DedupeConfig | None = None
    # -- outgoing (CONTRACT §7) --
    event: str | None = None
    urls: list[str] = Field(default_factory=list)
    trigger_words: Channels = Field(default_factory=list)
    trigger_word_anywhere: bool = False
    impersonate_user: bool = False
    run_on_edits: bool = False
    retry_failed_calls: bool = True
    #: also retry 4xx refusals other than 408/425/429 (Rocket.Chat's behaviour; off: see #12224)
    retry_client_errors: bool = False
    retry_count: int = Field(4, ge=0)
    retry_delay: Literal["powers-of-ten", "powers-of-two", "increments-of-two"] = "powers-of-ten"
    target_room: str | None = None

    @property
    def display_name(self) -> str:
        """The name shown for the integration: ``name`` when set, else its ``id``."""
        return self.name or self.id

    @property
    def delivery_header(self) -> str | None:
        """The header whose value identifies a delivery, when de-duplication is on."""
        if self.dedupe is None:
            return None
        if self.dedupe.header:
            return self.dedupe.header
        return DELIVERY_HEADERS.get(self.verify.type) if self.verify else None


# -- bridges (hookhub/bridges): onward delivery of channel messages to chat platforms --

BRIDGE_TYPES = ("slack", "mattermost", "discord", "rocketchat", "rocketchat-rest", "json")


class BridgeConfig(_Model):
    """One ``bridges:`` entry: forward the messages of some channels to another chat platform."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=128)
    type: Literal["slack", "mattermost", "discord", "rocketchat", "rocketchat-rest", "json"]
    #: the incoming-webhook URL (slack, mattermost, discord, rocketchat, json) or the
    #: server's base URL (rocketchat-rest); webhook URLs embed secrets, so this is a secret
    url: SecretStr
    #: hookhub channels whose messages are forwarded ("#name")
    channels: Channels = Field(default_factory=list)
    enabled: bool = True
    #: rocketchat-rest: the remote channel ("#name" or "@user"); slack/mattermost: optional override
    channel: str | None = None
    #: rocketchat-rest: X-User-Id and X-Auth-Token of the posting user
    user_id: str | None = None
    auth_token: SecretStr | None = None
    #: json: extra request headers (values may be secrets)
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    #: loopback/private addresses are refused unless true
    allow_private: bool = False
    #: proactive limit (e.g. Slack: 1 call per second per webhook); 429 answers are honoured regardless
    rate_limit: RateLimitConfig | None = None
    #: failed attempts retried with exponential backoff (1 s, 2 s, 4 s, ... capped at max_delay_s)
    retry_count: int = Field(8, ge=0)
    max_delay_s: float = Field(600, gt=0)
    timeout_ms: int = Field(10_000, gt=0)
    #: cut text longer than this (default: the target's own limit)
    max_text_chars: int | None = Field(None, gt=0)


class Config(_Model):
    server: ServerConfig = Field(default_factory=ServerConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    admin: AdminConfig = Field(default_factory=AdminConfig)
    users: list[UserConfig] = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(default_factory=list)
    integrations: list[IntegrationConfig] = Field(default_factory=list)
    #: onward delivery to chat platforms (hookhub/bridges)
    bridges: list[BridgeConfig] = Field(default_factory=list)
    #: directory of extension modules (pluggy plugins), relative to the YAML file
    plugins_dir: str | None = None
    #: extension plugins to block by registration name (e.g. javascript-engine)
    disable_plugins: list[str] = Field(default_factory=list)

    # -- set by load_config, not part of the file --
    base_dir: Path = Field(default=Path("."), exclude=True)
    file: str = Field(default="<config>", exclude=True)
    dev_defaults_used: tuple[str, ...] = Field(default=(), exclude=True)
    #: line of each key path in the file (``integrations[2].script_file`` → 41)
    key_lines: dict[str, int] = Field(default_factory=dict, exclude=True)

    def line_of(self, path: str) -> int | None:
        """The line of a key path (``integrations[2].script_file``) in the YAML file, or None when unknown."""
        return self.key_lines.get(path)

    def resolve(self, relative: str) -> Path:
        """A path from the file, relative to the YAML file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p

    def storage_url(self) -> str:
        """The storage URL with a relative SQLite path made relative to the YAML file."""
        url = self.storage.url
        m = re.match(r"^(sqlite(?:\+\w+)?):///(.*)$", url)
        if m and m.group(2) and not m.group(2).startswith("/") and m.group(2) != ":memory:":
            return f"{m.group(1)}:///{self.resolve(m.group(2))}"
        return url

    def limits_for(self, integration: IntegrationConfig) -> Limits:
        """The :class:`~hookhub.records.Limits` of ``integration``: its own values where set, else ``sandbox:``'s."""
        sb = self.sandbox
        return Limits(
            timeout_ms=integration.timeout_ms or sb.timeout_ms,
            memory_mb=integration.memory_mb or sb.memory_mb,
            max_output_bytes=integration.max_output_bytes or sb.max_output_bytes,
            concurrency=integration.concurrency or sb.concurrency,
            queue=integration.queue if integration.queue is not None else sb.queue,
            own=",".join(k for k in ("timeout_ms", "memory_mb", "max_output_bytes", "concurrency", "queue")
                         if getattr(integration, k) is not None),
        )


_INTERNAL = {"base_dir", "file", "dev_defaults_used", "key_lines"}


def _message(err: Any, model_fields: Iterable[str] = ()) -> str:
    kind = err["type"]
    loc = err["loc"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, list(model_fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"got {err.get('input')!r}; expected one of {expected}"
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
        return (f"{err.get('input')!r} is not a valid integration id: use letters, digits, '-', '_' or '.'"
                " (it becomes part of the URL /hooks/<id>/<token>)")
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return msg


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Known keys of the model that contains ``loc`` (for 'did you mean')."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann, *(inner or ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return [n for n in model.model_fields if n not in _INTERNAL]


def parse_config(src: yamlsource.Source, base_dir: Path) -> Config:
    """Validate parsed YAML; raise ConfigError listing every problem."""
    problems = list(src.problems)
    data = src.data
    config: Config | None = None
    if data is not None and not isinstance(data, dict):
        problems.append(Problem(src.file, 1, "", "the file must be a mapping with keys such as server, integrations"))
    elif data is not None:
        try:
            config = Config.model_validate({
                **data, "base_dir": base_dir, "file": src.file, "dev_defaults_used": tuple(src.dev_defaults_used),
                "key_lines": {yamlsource.format_path(k): v for k, v in src.lines.items()}})
        except ValidationError as exc:
            secrets = {p.path for p in src.problems}  # a missing secret is reported once, not by the schema too
            for err in exc.errors():
                loc = tuple(err["loc"])
                # drop pydantic's union/validator markers from the path
                loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
                problem = src.problem(loc, _message(err, _fields_at(loc)))
                if not _restates(problem, secrets):
                    problems.append(problem)
    if config is not None:
        already = {p.path for p in problems}
        problems.extend(p for p in cross_check(config, src) if p.path not in already)
    if problems:
        raise ConfigError(problems)
    assert config is not None
    return config


def _restates(problem: Problem, secrets: set[str]) -> bool:
    """Whether a schema complaint only repeats a missing secret already reported (the key itself, or
    its parent saying the key is required, e.g. ``verify: verify.secret is required``)."""
    return problem.path in secrets or any(
        s.startswith(problem.path + ".") and s.rsplit(".", 1)[-1] in problem.message for s in secrets)


def load_config(path: str | Path, *, dev: bool = False) -> Config:
    """Read, validate and cross-check a configuration file."""
    path = Path(path)
    src = yamlsource.load(path, dev=dev)
    return parse_config(src, path.parent.resolve())
