"""Open311 GeoReport v2: the office's settings, the services offered to clients (each one a
complaint category under a ``service_code``), the API clients and their keys, the requests
filed through the interface, and the counters of the rate limit."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import Case, Category
from xiaoneng.open311.choices import AttributeDatatype, EndpointType, ServiceType

USER = settings.AUTH_USER_MODEL

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_-]+$", _("Use letters, digits, hyphens and underscores only.")
)


class Open311Settings(models.Model):
    """How the office runs its Open311 interface (one row)."""

    jurisdiction_id = models.CharField(
        _("jurisdiction ID"),
        max_length=100,
        blank=True,
        help_text=_(
            "A client that sends a jurisdiction_id must send exactly this one, e.g. "
            "tianzhou.gov.cn. When empty, any jurisdiction_id is refused as unknown."
        ),
    )
    accepting_requests = models.BooleanField(
        _("accept new requests"),
        default=True,
        help_text=_("When off, clients can still follow their requests but cannot file new ones."),
    )
    requests_public = models.BooleanField(
        _("anyone may read requests"),
        default=True,
        help_text=_(
            "When on, callers without an API key see each request's number, service, status "
            "and dates, never its description, location or media. When off, reading requests "
            "needs an API key too."
        ),
    )
    contact = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_("Shown to developers in the discovery document, e.g. an e-mail address."),
    )
    key_service = models.CharField(
        _("how to obtain an API key"),
        max_length=200,
        blank=True,
        help_text=_("Shown to developers in the discovery document."),
    )
    endpoint_url = models.URLField(
        _("public address of the interface"),
        max_length=200,
        blank=True,
        help_text=_(
            "For example https://xiaoneng.example.gov.cn/open311/v2. When empty, the discovery "
            "document gives the address the caller used."
        ),
    )
    endpoint_type = models.CharField(
        _("kind of endpoint"),
        max_length=20,
        choices=EndpointType.choices,
        default=EndpointType.PRODUCTION,
    )
    rate_limit_key = models.PositiveIntegerField(
        _("requests per minute per API key"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
    )
    rate_limit_ip = models.PositiveIntegerField(
        _("requests per minute per address without an API key"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
    )
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("Open311 settings")
        verbose_name_plural = _("Open311 settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="open311_settings_single")]

    def __str__(self) -> str:
        return str(_("Open311 settings"))


class Service(models.Model):
    """A service offered to Open311 clients: a complaint category under a ``service_code``,
    with the name, description and notice the clients show."""

    service_code = models.CharField(
        _("service code"), max_length=32, unique=True, validators=[CODE_VALIDATOR]
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("case category")
    )
    service_name = models.CharField(_("service name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    type = models.CharField(
        _("type"), max_length=20, choices=ServiceType.choices, default=ServiceType.REALTIME
    )
    keywords = models.CharField(
        _("keywords"), max_length=200, blank=True, help_text=_("Separated by commas.")
    )
    group = models.CharField(_("group"), max_length=100, blank=True)
    service_notice = models.CharField(
        _("service notice"),
        max_length=500,
        blank=True,
        help_text=_("Returned to the client with each new request, e.g. the time limit."),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["order", "service_code"]
        verbose_name = _("Open311 service")
        verbose_name_plural = _("Open311 services")

    def __str__(self) -> str:
        return f"{self.service_code} {self.service_name}"


class ServiceAttribute(models.Model):
    """A question a client asks when filing a request of one service (GeoReport v2 service
    definition). ``values`` holds the choices of the list datatypes as ``[{"key", "name"}]``."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="attributes", verbose_name=_("service")
    )
    code = models.CharField(_("code"), max_length=50, validators=[CODE_VALIDATOR])
    variable = models.BooleanField(
        _("asks for input"),
        default=True,
        help_text=_("When off, the attribute only shows its description to the person."),
    )
    datatype = models.CharField(
        _("datatype"),
        max_length=20,
        choices=AttributeDatatype.choices,
        default=AttributeDatatype.STRING,
    )
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(_("datatype description"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), validators=[MinValueValidator(1)])
    description = models.CharField(_("question"), max_length=300)
    values = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["service", "order"]
        verbose_name = _("service attribute")
        verbose_name_plural = _("service attributes")
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="open311_attribute_code"),
            models.UniqueConstraint(fields=["service", "order"], name="open311_attribute_order"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.code}"


class ApiClient(models.Model):
    """A system allowed to file requests (a 12345 hotline, a mobile app), with its API key
    and its own service account: the cases it files are registered by that account, so the
    case, its timeline and the audit log name the client. Only a hash of the key is kept."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    contact = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_("Who runs the client and how to reach them."),
    )
    account = models.OneToOneField(
        USER,
        on_delete=models.PROTECT,
        related_name="open311_client",
        verbose_name=_("service account"),
    )
    key_prefix = models.CharField(_("key begins with"), max_length=16)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created"))
    key_issued_at = models.DateTimeField(_("key issued"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name


class ServiceRequest(models.Model):
    """A request filed through Open311 and the case it became. What the client sent beyond
    the case's own fields (location details, media link, attribute answers, its device and
    account ids) is kept here; the complainant's identity lives only on the case."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="open311_request", verbose_name=_("case")
    )
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="requests", verbose_name=_("API client")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="requests", verbose_name=_("service")
    )
    token = models.CharField(_("token"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    address_string = models.CharField(_("address"), max_length=200, blank=True)
    address_id = models.CharField(_("address ID"), max_length=64, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    media_url = models.URLField(_("media link"), max_length=500, blank=True)
    attributes = models.JSONField(_("attribute answers"), default=dict, blank=True)
    device_id = models.CharField(_("device ID"), max_length=100, blank=True)
    account_id = models.CharField(_("client's account ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("filed"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        indexes = [models.Index(fields=["client", "created_at"], name="open311_request_client_idx")]

    def __str__(self) -> str:
        return self.case.number


class RateCounter(models.Model):
    """Requests counted in one minute for one API key or one address. Kept in the database
    so that every worker process counts against the same limit; old windows are pruned."""

    bucket = models.CharField(_("counted for"), max_length=80)
    window_start = models.DateTimeField(_("minute"))
    hits = models.PositiveIntegerField(_("requests"), default=0)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="open311_rate_window")
        ]
        indexes = [models.Index(fields=["window_start"], name="open311_rate_start_idx")]

    def __str__(self) -> str:
        return f"{self.bucket} {self.window_start:%H:%M} {self.hits}"
