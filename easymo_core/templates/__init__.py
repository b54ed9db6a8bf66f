"""Message templates: the model, validation rules, variables, rendering for previews.

Pure Python, never Qt: the editor, the client, the sandbox's review and the message
processor all call the same rules. The names below are the public API.
"""

from .enums import ButtonType, Category, HeaderFormat, ParameterFormat, Severity
from .formatting import Span, parse, to_html
from .model import Body, Button, Footer, Header, Quality, TemplateDefinition
from .params import Currency, DateTime, Location, Media, TemplateParams
from .problems import Problem, TemplateFormatError, TemplateParameterError
from .render import (
    RenderedButton,
    RenderedMessage,
    params_from_components,
    render_plain_text,
    render_preview,
    send_components,
)
from .validate import ReviewDecision, errors, review, review_risks, validate_template
from .variables import (
    RequiredParams,
    check_parameters,
    example_parameters,
    placeholders,
    required_parameters,
    substitute,
)

__all__ = [
    "Body",
    "Button",
    "ButtonType",
    "Category",
    "Currency",
    "DateTime",
    "Footer",
    "Header",
    "HeaderFormat",
    "Location",
    "Media",
    "ParameterFormat",
    "Problem",
    "Quality",
    "RenderedButton",
    "RenderedMessage",
    "RequiredParams",
    "ReviewDecision",
    "Severity",
    "Span",
    "TemplateDefinition",
    "TemplateFormatError",
    "TemplateParameterError",
    "TemplateParams",
    "check_parameters",
    "errors",
    "example_parameters",
    "params_from_components",
    "parse",
    "placeholders",
    "render_plain_text",
    "render_preview",
    "required_parameters",
    "review",
    "review_risks",
    "send_components",
    "substitute",
    "to_html",
    "validate_template",
]
