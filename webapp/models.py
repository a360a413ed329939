"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

from sqlmodel import SQLModel

from .accounts.models import User
from .audit.models import AuditEntry
from .comments.models import Comment, Rating
from .conduct.models import DiscussionRules, ModerationSettings, PersonBlock
from .contentversion import ContentVersion
from .documents.models import Chapter, ChapterText, Document, DocumentText, Paragraph, ParagraphText
from .mail.models import OutboxMessage
from .moderation.models import ModeratorNote, Report
from .phases.models import Phase, PhaseText
from .projects.models import Organisation, Project, ProjectText
from .roles.models import Invitation, OrganisationMember, ProjectModerator

metadata = SQLModel.metadata

__all__ = [
    "AuditEntry", "Invitation", "ModeratorNote", "OrganisationMember", "ProjectModerator",
    "Chapter", "ChapterText", "Comment", "Rating", "User", "Document", "DocumentText", "Organisation", "Paragraph",
    "ParagraphText", "Phase", "PhaseText", "Project", "ProjectText", "Report", "metadata",
    "OutboxMessage", "ContentVersion",
    "DiscussionRules", "ModerationSettings", "PersonBlock",
]
