"""The protocol's models, generated from spec/openapi.json (see ``_generated.py``; never edit it).

The names users reach for are re-exported here; every generated model is available as
``responsekit.models.<Name>``.
"""

from responsekit.models._generated import *  # noqa: F403
from responsekit.models._generated import OutputItem, Response, ResponseStreamEvent
from responsekit.models.request import CreateResponse

#: The response object (the peer package calls it ResponseObject).
ResponseObject = Response

__all__ = ["CreateResponse", "OutputItem", "Response", "ResponseObject", "ResponseStreamEvent"]
