"""Secrets out of everything erpcap prints or stores: passwords in URLs and secret query values.

Used by run.json (the target, the database), by every error message
(:meth:`erpcap.errors.ErpcapError.one_line`) and by progress lines.
"""

from __future__ import annotations

import re

#: Query parameters whose values are secrets.
_SECRET_PARAMS = ("password", "passwd", "pwd", "token", "access_token", "secret", "key", "apikey")

#: ``scheme://user:password@`` anywhere in a text. The password runs to the last ``@`` before
#: the path, so an unencoded ``@`` inside it is hidden too.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/?#@\s]*):[^/?#\s]*@")
#: ``?password=...`` or ``&token=...`` in a query string.
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&](?:" + "|".join(_SECRET_PARAMS) + r")=)[^&#\s]*", re.IGNORECASE
)


def redact_url(url: str) -> str:
    """``url`` with any password in the user part or secret query value replaced by ``***``.

    Only the secret is replaced; the rest of the text stays as given, so that what is printed
    can be pasted back (``sqlite:////tmp/erp.sqlite`` keeps its four slashes). ``url`` may
    also be a whole message: every URL in it is redacted.

    >>> redact_url("postgresql://erp:s3cret@db:5432/erp?sslmode=require&password=x")
    'postgresql://erp:***@db:5432/erp?sslmode=require&password=***'
    >>> redact_url("http://127.0.0.1:8000"), redact_url("sqlite:////tmp/erp.sqlite")
    ('http://127.0.0.1:8000', 'sqlite:////tmp/erp.sqlite')
    >>> redact_url("run http://u:pw@h/x and http://h2/?token=abc")
    'run http://u:***@h/x and http://h2/?token=***'
    """
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    return _SECRET_QUERY.sub(lambda m: f"{m['key']}***", text)
