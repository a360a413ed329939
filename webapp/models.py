"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

from sqlmodel import SQLModel

from .documents.models import Chapter, ChapterText, Document, DocumentText, Paragraph, ParagraphText
from .phases.models import Phase, PhaseText
from .projects.models import Organisation, Project, ProjectText

metadata = SQLModel.metadata

__all__ = [
    "Chapter", "ChapterText", "Document", "DocumentText", "Organisation", "Paragraph",
    "ParagraphText", "Phase", "PhaseText", "Project", "ProjectText", "metadata",
]
