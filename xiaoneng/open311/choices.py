from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceType(models.TextChoices):
    """What a client gets back when it files a request (GeoReport v2 ``type``)."""

    REALTIME = "realtime", _("Realtime: the request number is returned at once")
    BATCH = "batch", _("Batch: a token is returned, exchanged later for the request number")
    BLACKBOX = "blackbox", _("Blackbox: no request number is returned")


class AttributeDatatype(models.TextChoices):
    """How a client collects the answer to a service attribute (GeoReport v2 ``datatype``)."""

    STRING = "string", _("Short text (one line)")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Long text")
    SINGLEVALUELIST = "singlevaluelist", _("One choice from a list")
    MULTIVALUELIST = "multivaluelist", _("Several choices from a list")


#: Datatypes whose answers come from the attribute's list of values.
LIST_DATATYPES = frozenset({AttributeDatatype.SINGLEVALUELIST, AttributeDatatype.MULTIVALUELIST})


class EndpointType(models.TextChoices):
    PRODUCTION = "production", _("Production")
    TEST = "test", _("Test")
