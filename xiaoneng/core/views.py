from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from xiaoneng.org.choices import Role
from xiaoneng.org.selectors import user_scope
from xiaoneng.org.services import user_set_language


@login_required
def home(request):
    scope = user_scope(user=request.user)
    if scope.view_all and scope.act_all:
        scope_text = _("The records of every unit; you can act on them.")
    elif scope.view_all:
        scope_text = _("The records of every unit, read-only.")
    elif scope.view_unit_ids:
        scope_text = _("The records of your own unit(s).")
    else:
        scope_text = _("No business records: your role manages the system itself.")
    role_labels = [Role(code).label for code in sorted(request.user.roles)]
    return render(request, "core/home.html", {"scope_text": scope_text, "role_labels": role_labels})


def error_404(request, exception=None):
    return render(request, "core/error.html", {"status": 404}, status=404)


def error_403(request, exception=None):
    return render(request, "core/error.html", {"status": 403}, status=403)


def error_500(request):
    # Rendered without context processors: the database may be the thing that failed.
    return HttpResponseServerError(loader.get_template("core/error_500.html").render({}))


@require_POST
def set_language(request):
    """Django's language switch, remembered on the account so that notifications and e-mails
    reach the person in the language they chose."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(user=request.user, language=language)
    return response
