"""Pydantic's v1 API on both runtimes.

The dialogue engine's venv (Python 3.10) has pydantic 1.10, which Rasa 3.6 pins; the
service's venv (Python 3.12) has pydantic 2, whose `pydantic.v1` package keeps the v1 API.
The lender's files, accounts and API bodies are validated by the same v1-style models in
both (docs/dependencies.md), so everything imports pydantic from here.
"""

try:
    from pydantic.v1 import (  # pydantic 2 (and 1.10.17+)
        BaseModel,
        Extra,
        ValidationError,
        condecimal,
        confloat,
        conint,
        conlist,
        constr,
        root_validator,
        validator,
    )
except ImportError:  # pydantic 1.10 before .17, as Rasa 3.6 pins it
    from pydantic import (  # type: ignore[no-redef]
        BaseModel,
        Extra,
        ValidationError,
        condecimal,
        confloat,
        conint,
        conlist,
        constr,
        root_validator,
        validator,
    )

__all__ = [
    "BaseModel",
    "Extra",
    "ValidationError",
    "condecimal",
    "confloat",
    "conint",
    "conlist",
    "constr",
    "root_validator",
    "validator",
]
