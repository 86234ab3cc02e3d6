"""Subject versions: how many versioned facts an owner has committed per subject.

``POST /internal/subject-versions`` on every internal service (signed callers only);
the claim workers ask the owners of the facts they decide on (README "When a claim is
decided").
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from contracts.envelope import Contract
from contracts.fields import Id

TopicName = Annotated[str, Field(pattern=r"^[a-z0-9.]{1,200}$")]

MAX_SUBJECTS = 5_000
"""Subjects one question may name, over all its topics (a claim batch names fewer)."""


class SubjectVersionsQuery(Contract):
    """The subjects asked about, per topic (an empty list asks for the total only)."""

    subjects: dict[TopicName, list[Id]] = Field(max_length=8)


class SubjectVersions(BaseModel):
    """Per topic asked: each subject's version (a subject never counted is left out: 0)
    and the topic's total (every versioned fact counted on it)."""

    versions: dict[str, dict[str, int]]
    totals: dict[str, int] = {}
