"""The app's JSON provider: Flask's, with JSON answers encoded by orjson.

Encoding the answer was, after the token check, the largest cost of a screening outside the matching and
the database: Flask's provider runs the standard library encoder with sorted keys and every Cyrillic
letter escaped as `\\uXXXX`. orjson (a well-kept C-speed encoder) writes the same JSON values several times
faster, in the order the code built them (as `JSON_SORT_KEYS=False` meant) and as UTF-8, which halves a
Cyrillic answer. Values orjson does not know itself (dates, decimals, UUIDs) go through Flask's own
`default`, so they come out as before. Pretty-printed answers (debug mode) stay Flask's.

Reading is the standard library's, except that a document nested deeper than Python's recursion limit is
refused as invalid JSON (a ValueError, which `request.get_json` answers with its 400) instead of escaping as
a RecursionError, which no handler expects and which would be a 500.
"""

from __future__ import annotations

from typing import Any, cast

import flask
import orjson
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

# dates as Flask writes them (HTTP dates), not orjson's ISO; keys that are not text as text, as json does
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_APPEND_NEWLINE
)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with `response` (jsonify, views returning dicts and lists) done by orjson."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("the JSON is nested too deeply") from error

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        value = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(value, default=self.default, option=_OPTIONS)
        # the provider is typed for any sansio app; ours is a flask.Flask, whose responses take a body
        response_class = cast(type[flask.Response], self._app.response_class)
        return response_class(body, mimetype=self.mimetype)
